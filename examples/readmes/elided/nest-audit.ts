// What the README of @acme/nest-audit leaves out with `...`: the app's repository, types and pool.
import { Injectable } from '@nestjs/common';
import pg from 'pg';

export type DealStage = 'Lead' | 'Proposal Sent' | 'Won' | 'Lost';

@Injectable()
export class DealsRepository {
  async get(id: string): Promise<{ id: string; stage: DealStage }> {
    return { id, stage: 'Lead' };
  }
  async update(id: string, patch: { stage: DealStage }): Promise<{ id: string; stage: DealStage }> {
    return { id, ...patch };
  }
}

export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
