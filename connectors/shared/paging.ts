/** The shared paging helpers (src/http/paging.ts), re-exported so vendor folders need nothing from src/. */
export {
  defaultIdOf, linkHeaderNext, nextLinkPages, offsetPages, offsetPaging, pageTokenPages, RepeatGuard, totalCountOf,
  type LinkedPage, type OffsetFetched, type OffsetPage, type Page,
} from '../../src/http/paging.js';
