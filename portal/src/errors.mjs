// One place where every failure of a request becomes the contract's answer:
// `{"error": {"code", "message", "path"?}}` with a 4xx status for anything the client sent.
// The binding's errors carry `code` (INPUT_ERROR, POLICY_ERROR, AUDIT_ERROR, INTERNAL_ERROR)
// and `path` (a JSON path under the argument it read); Fastify's carry their own codes.

/** An error the portal itself raises for a request (a bad parameter, an unknown id). */
export class RequestError extends Error {
  constructor(status, code, message, path) {
    super(message)
    this.statusCode = status
    this.code = code
    this.path = path
  }
}

export const badRequest = (message, path) => new RequestError(400, 'BAD_REQUEST', message, path)
export const notFound = (message, path) => new RequestError(404, 'NOT_FOUND', message, path)

/**
 * The binding names paths under the argument it was given (`options.from`, `scope.region`);
 * a route says what they are in its request (`from`, `region`). Paths under the request's own
 * objects (`change.approvals[0].at`) are kept.
 */
export function rename(path, names) {
  if (typeof path !== 'string') return path
  for (const [from, to] of Object.entries(names)) {
    if (path === from || path.startsWith(`${from}.`) || path.startsWith(`${from}[`)) {
      return to + path.slice(from.length)
    }
  }
  return path
}

/** `/approvals/0/at` (Ajv's instance path) -> `approvals[0].at`. */
function jsonPath(pointer) {
  let out = ''
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`
  }
  return out
}

/** The first schema violation as a message and path. */
function validation(err) {
  const first = err.validation[0]
  const where = err.validationContext === 'querystring' ? 'query' : err.validationContext
  let path = jsonPath(first.instancePath ?? '')
  let message
  switch (first.keyword) {
    case 'additionalProperties': {
      const key = first.params.additionalProperty
      path = path ? `${path}.${key}` : key
      message = `unknown ${where === 'query' ? 'query parameter' : 'field'} ${JSON.stringify(key)}`
      break
    }
    case 'required': {
      const key = first.params.missingProperty
      path = path ? `${path}.${key}` : key
      message = `missing ${where === 'query' ? 'query parameter' : 'field'} ${JSON.stringify(key)}`
      break
    }
    default:
      message = `${path || where} ${first.message}`
  }
  return { message, path: path || undefined }
}

/** The status and body of a failed request. */
export function answer(err) {
  if (err instanceof RequestError) {
    return [err.statusCode, body(err.code, err.message, err.path)]
  }
  if (err?.validation) {
    const { message, path } = validation(err)
    return [400, body('BAD_REQUEST', message, path)]
  }
  switch (err?.code) {
    case 'INPUT_ERROR':
      return [400, body('INPUT_ERROR', err.message, err.path ?? undefined)]
    case 'POLICY_ERROR':
      return [422, body('POLICY_ERROR', err.message, err.path ?? undefined)]
    case 'AUDIT_ERROR':
      // The archive file itself failed (unwritable, locked): not the client's fault.
      return [503, body('AUDIT_ERROR', err.message)]
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, body('TOO_LARGE', 'the request body is larger than the limit of 1 MiB')]
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return [415, body('BAD_REQUEST', 'the request body must be JSON (Content-Type: application/json)')]
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, body('BAD_REQUEST', 'the request body is empty; expected a JSON object')]
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return [400, body('BAD_REQUEST', `the request body is not valid JSON: ${err.message}`)]
    default:
      break
  }
  if (err instanceof SyntaxError || err?.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return [400, body('BAD_REQUEST', `the request body is not valid JSON: ${err.message}`)]
  }
  const status = err?.statusCode
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    return [status, body(status === 413 ? 'TOO_LARGE' : 'BAD_REQUEST', err.message)]
  }
  return [500, body('INTERNAL_ERROR', 'the portal failed to answer; the server log has the details')]
}

function body(code, message, path) {
  const error = { code, message }
  if (path !== undefined && path !== null && path !== '') error.path = path
  return { error }
}
