import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON lines on stdout; secrets in headers never reach them. */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  service = 'latih-gateway',
): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: ['req.headers.authorization', 'headers.authorization', 'client_secret'],
    },
    destination,
  );
}
