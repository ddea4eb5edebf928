// What the README of @acme/nest-view-presenter leaves out with `...`: the app's row type, service,
// metrics client, root module and other views.
import { Module } from '@nestjs/common';
import { z } from 'zod';

export interface DealRow {
  id: string;
  title: string;
  status: 'Lead' | 'Proposal Sent' | 'Won' | 'Lost';
  owner_id: string;
  owner_name: string;
  owner_avatar_url: string | null;
  contact_count: string | null;
  created_at: Date;
  closed_at: Date | null;
  last_activity_kind: 'Email Sent' | 'Call Logged' | null;
  last_activity_at: Date | null;
  last_activity_label: string | null;
}

export declare class DealsService {
  list(cursor?: string): Promise<{ rows: DealRow[]; total: number; next: string | null }>;
  get(id: string): Promise<DealRow>;
}

export declare const metrics: { increment(name: string, labels: Record<string, string>): void };

@Module({})
export class AppModule {}

export const ContactView = z.object({ id: z.uuid(), name: z.string(), email: z.email().nullable() });
