/** Delivery (DESIGN §8): outbox → deliveries → signed webhooks and help desk tickets. */
export { createDeliveryWorker, startDeliveryWorker, type DeliveryDeps, type RoundStats } from './worker.js';
export { listDeliveries, replayDelivery, enableTarget, targetStates, DELIVERY_STATUSES, type DeliveryFilter, type DeliveryRow, type DeliveryStatus } from './list.js';
export { applyInboundEvent, type InboundOutcome } from './inbound.js';
