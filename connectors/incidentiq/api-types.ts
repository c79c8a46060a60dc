/**
 * Raw Incident IQ shapes from the iiQ Stoplight OpenAPI (project `incidentiq/v1`) and API-Hub Postman collection
 * (vendor-facts §5). Only the fields rollcall reads are declared; the rest pass through.
 */
import { z } from 'zod';

/** Fixed close reason ids (Stoplight `POST /tickets/{TicketId}/close`). */
export const CLOSE_RESOLVED = 'C98AE44E-ADA0-4AE7-AE30-817785C00002';

export const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a GUID');

/** Every iiQ response carries these beside its payload. */
const envelope = {
  StatusCode: z.union([z.string(), z.number()]).optional(),
  Message: z.string().nullable().optional(),
  Errors: z.array(z.unknown()).nullable().optional(),
};

export const iiqAssetSchema = z.looseObject({
  AssetId: guid,
  AssetTag: z.string().nullable().optional(),
  SerialNumber: z.string().nullable().optional(),
  IsDeleted: z.boolean().optional(),
});
export type IiqAsset = z.infer<typeof iiqAssetSchema>;

/** `ListGetResponseOfAsset`: `{Items, Paging:{TotalRows, PageCount, PageSize, PageIndex}, StatusCode, …}`. */
export const iiqAssetListSchema = z.looseObject({
  ...envelope,
  Items: z.array(iiqAssetSchema).nullable(),
  Paging: z.looseObject({ TotalRows: z.number().int() }).nullable().optional(),
});

export const iiqTicketSchema = z.looseObject({
  TicketId: guid,
  TicketNumber: z.union([z.number(), z.string()]).optional(),
  Subject: z.string().nullable().optional(),
  CreatedDate: z.string().nullable().optional(),
  IsDeleted: z.boolean().optional(),
});
export type IiqTicket = z.infer<typeof iiqTicketSchema>;

/** `ItemCreateResponseOfTicket`: `{Id, Uid, Item:{Ticket…}, StatusCode, …}`. */
export const iiqCreateResponseSchema = z.looseObject({ ...envelope, Id: guid, Item: iiqTicketSchema.nullable().optional() });

/** `POST /tickets` with Filters (list of tickets, newest first with `$o=TicketCreatedDate&$d=Descending`). */
export const iiqTicketListSchema = z.looseObject({
  ...envelope,
  Items: z.array(iiqTicketSchema).nullable(),
  Paging: z.looseObject({ TotalRows: z.number().int(), PageCount: z.number().int().optional() }).nullable().optional(),
});

/** `ActionResponse` (close, activities). */
export const iiqActionResponseSchema = z.looseObject({ ...envelope });

/** `GET /login`: the API user. */
export const iiqLoginSchema = z.looseObject({ ...envelope, UserId: z.string().optional(), UserID: z.string().optional() });

/** Error bodies are the same envelope: `{"StatusCode":"BadRequest","Message":"…","Errors":["…"]}`. */
export const iiqErrorSchema = z.looseObject({ ...envelope });

/** `UpdateTicketRequest` (Postman "Submit New Ticket"). */
export interface IiqCreateBody {
  Subject: string;
  IssueDescription: string;
  ForId: string;
  IssueId: string;
  LocationId: string;
  Assets: { AssetId: string }[];
  IsUrgent: boolean;
  IsTraining: false;
  ProductId?: string;
  Attachments: [];
}

/** Comment activity (Postman "Post Comment to Ticket"); the `$type` string is .NET-internal and undocumented. */
export interface IiqCommentBody {
  TicketId: string;
  ActivityItems: { $type: 'Spark.Shared.Models.TicketActivityComment, Spark.Shared'; TicketActivityTypeId: 6; Comments: string }[];
  IsPublic: false;
  WaitForResponse: false;
  TicketWasUpdated: false;
}

/**
 * The rule webhook body rollcall documents (README "Help desks"); iiQ sends every string value URL-encoded:
 * `{"ticketId":"{Ticket.TicketId}","status":"{Ticket.Status}","outcome":"collected","token":"<inbound secret>"}`.
 */
export const iiqInboundSchema = z.looseObject({
  ticketId: z.string(),
  status: z.string(),
  outcome: z.string().optional(),
  token: z.string().optional(),
});
