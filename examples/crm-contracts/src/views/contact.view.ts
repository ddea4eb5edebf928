import { z } from 'zod';
import { CompanySummary, isoDateTime, pageOf, UserSummary } from '../common.ts';
import { LastActivity } from './activity.view.ts';

export const ContactView = z
  .object({
    id: z.uuid(),
    first_name: z.string(),
    last_name: z.string(),
    full_name: z.string(),
    email: z.email(),
    phone: z.string().nullable(),
    job_title: z.string().nullable(),
    company: CompanySummary,
    owner: UserSummary,
    last_activity: LastActivity,
    created_at: isoDateTime(),
    updated_at: isoDateTime(),
  })
  .meta({ id: 'ContactView' });
export type ContactView = z.infer<typeof ContactView>;

export const ContactPage = pageOf(ContactView);
