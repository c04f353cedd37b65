import { createContext, useContext } from 'react';
import type { Session } from './api';

export const SessionContext = createContext<Session | null>(null);

/** Whether the signed-in role may call this procedure (to hide what it cannot do). */
export function useCan(): (path: string) => boolean {
  const session = useContext(SessionContext);
  return (path) => session?.writes.some((p) => path.startsWith(p)) ?? false;
}
