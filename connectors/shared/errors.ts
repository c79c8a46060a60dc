/**
 * The error classes connectors throw, re-exported so vendor folders never import src/ directly (the lint
 * boundary in eslint.config.js): the only door from a connector into the product is connectors/shared.
 */
export {
  AppError, HttpError, IncompleteReadError, SourceFormatError, ValidationError, errorMessage, isAppError,
} from '../../src/errors.js';
