/**
 * A source whose reads are whatever batches the test sets: exercises the ledger and runner against exactly the
 * Batch contract (warnings, kept rejects, unsupplied fields, cursors) without any file format in between.
 */
import { z } from 'zod';
import type { Batch, DeviceRecord, PersonRecord, ReadOptions, SourceConnector } from '../../connectors/types.js';
import { deviceRecordSchema, personRecordSchema } from '../../connectors/types.js';
import type { SourceConfig } from '../../src/config/index.js';

export interface MemorySource extends SourceConfig {
  /** What the next read yields; a function may throw to simulate a failed read. */
  next: Batch[] | ((opts: ReadOptions) => Batch[]);
  /** The options of every read, in order. */
  reads: ReadOptions[];
}

export function memorySource(id: string, opts: { streams?: Batch['stream'][]; threshold?: { percent: number; absolute: number } } = {}): MemorySource {
  const src = {} as MemorySource;
  const connector: SourceConnector<unknown> = {
    kind: 'memory',
    configSchema: z.unknown(),
    streams: opts.streams ?? ['people', 'devices'],
    supportsDelta: true,
    check: async () => ({ ok: true, message: 'memory' }),
    async *read(_ctx, ro) {
      src.reads.push(ro);
      const batches = typeof src.next === 'function' ? src.next(ro) : src.next;
      for (const b of batches) yield b;
    },
  };
  Object.assign(src, {
    id, kind: 'memory', enabled: true, connector, settings: {}, next: [], reads: [],
    deletionThreshold: opts.threshold ?? { percent: 10, absolute: 500 },
  });
  return src;
}

export const student = (n: number, over: Partial<PersonRecord> = {}): PersonRecord => personRecordSchema.parse({
  externalId: `s${n}`, role: 'student', status: 'active', givenName: `Given${n}`, familyName: `Family${n}`,
  email: `s${n}@students.maplewood.example.org`, username: `s${n}`, sisId: `SIS${1000 + n}`, grades: ['05'], ...over,
});

export const chromebook = (n: number, over: Partial<DeviceRecord> = {}): DeviceRecord => deviceRecordSchema.parse({
  externalId: `dev-${n}`, serial: `SER${String(n).padStart(5, '0')}`, platform: 'chromeos', status: 'active',
  userEmail: `s${n}@students.maplewood.example.org`, lastSyncAt: '2026-11-01T10:00:00.000Z', aueDate: '2030-06-01',
  orgUnit: '/Students/Lincoln', bootMode: 'normal', ...over,
});

export const people = (records: PersonRecord[], extra: Partial<Extract<Batch, { stream: 'people' }>> = {}): Batch =>
  ({ stream: 'people', records, rejects: [], processingMode: 'bulk', ...extra });
export const devices = (records: DeviceRecord[], extra: Partial<Extract<Batch, { stream: 'devices' }>> = {}): Batch =>
  ({ stream: 'devices', records, rejects: [], processingMode: 'bulk', ...extra });
