import { z } from 'zod';

export const COURSE_MODES = ['SELF_PACED', 'WEBINAR', 'LURING', 'HYBRID'] as const;
export const ZCourseModeSchema = z.enum(COURSE_MODES).meta({
  description: 'SELF_PACED (online, no schedule), WEBINAR (live online), LURING (offline), HYBRID',
});
export type TCourseMode = z.infer<typeof ZCourseModeSchema>;
