import { z } from 'zod';
import { COURSE_MODES } from './values';

export const ZCourseModeSchema = z.enum(COURSE_MODES).meta({
  description: 'SELF_PACED (online, no schedule), WEBINAR (live online), LURING (offline), HYBRID',
});
export type TCourseMode = z.infer<typeof ZCourseModeSchema>;
