import { hash, type Algorithm } from '@node-rs/argon2';
import { drizzle } from 'drizzle-orm/node-postgres';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { activities, companies, contacts, deals, memberships, users, workspaces } from './schema';
import { DEMO_PASSWORD, SEED_WORKSPACES } from './seed-data';

export interface SeedResult {
  workspaces: { id: string; name: string; slug: string; users: { email: string; role: string }[]; firstCompanyId: string }[];
  password: string;
}

const DAY_MS = 86_400_000;
const OPEN = new Set(['New', 'Qualified', 'Proposal Sent', 'Negotiation']);

/**
 * Seeds the demo data as the owner (explicit workspace ids, outside any request). Skips a
 * workspace whose slug exists, so running it twice is harmless.
 */
export async function seedDemo(ownerUrl: string, options: { argon2MemoryKib?: number } = {}): Promise<SeedResult> {
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  const db = drizzle(pool);
  const passwordHash = await hash(DEMO_PASSWORD, {
    algorithm: 2 as Algorithm.Argon2id,
    memoryCost: options.argon2MemoryKib ?? 19_456,
    timeCost: 2,
    parallelism: 1,
  });
  const result: SeedResult = { workspaces: [], password: DEMO_PASSWORD };
  const now = Date.now();
  try {
    for (const spec of SEED_WORKSPACES) {
      await db.transaction(async (tx) => {
        const [existing] = await tx.select().from(workspaces).where(eq(workspaces.slug, spec.slug));
        const workspace = existing ?? (await tx.insert(workspaces).values({ name: spec.name, slug: spec.slug }).returning())[0]!;
        const userIds = new Map<string, string>();
        for (const u of spec.users) {
          const [row] = await tx.insert(users).values({ email: u.email, name: u.name, passwordHash }).onConflictDoNothing().returning();
          const id = row?.id ?? (await tx.select().from(users).where(eq(users.email, u.email)))[0]!.id;
          userIds.set(u.email, id);
          await tx.insert(memberships).values({ workspaceId: workspace.id, userId: id, role: u.role }).onConflictDoNothing();
        }
        const owners = [...userIds.values()];
        let firstCompanyId = '';
        if (!existing) {
          for (const [index, c] of spec.companies.entries()) {
            const ownerId = owners[index % owners.length]!;
            const createdAt = new Date(now - (spec.companies.length - index) * 7 * DAY_MS);
            const [company] = await tx
              .insert(companies)
              .values({
                workspaceId: workspace.id,
                name: c.name,
                domain: c.domain,
                industry: c.industry,
                sizeRange: c.size,
                status: c.status,
                employeeCount: c.employees,
                employeeCount90dAgo: c.employees90dAgo,
                ownerId,
                createdAt,
                updatedAt: createdAt,
              })
              .returning();
            firstCompanyId ||= company!.id;
            const contactIds: string[] = [];
            for (const [first, last, title] of c.contacts) {
              const email = `${first}.${last}@${c.domain}`.toLowerCase();
              const [contact] = await tx
                .insert(contacts)
                .values({
                  workspaceId: workspace.id,
                  companyId: company!.id,
                  firstName: first,
                  lastName: last,
                  email,
                  jobTitle: title,
                  ownerId,
                  createdAt,
                  updatedAt: createdAt,
                })
                .returning();
              contactIds.push(contact!.id);
            }
            for (const [title, amount, stage] of c.deals) {
              // Older companies' deals have not moved for weeks: the worker's stale-deal check finds them.
              const stageChangedAt = new Date(now - (3 + index * 5) * DAY_MS);
              await tx.insert(deals).values({
                workspaceId: workspace.id,
                companyId: company!.id,
                primaryContactId: contactIds[0] ?? null,
                ownerId,
                title,
                amount,
                stage,
                stageChangedAt,
                closedAt: OPEN.has(stage) ? null : stageChangedAt,
                createdAt,
                updatedAt: stageChangedAt,
                expectedCloseOn: OPEN.has(stage) ? new Date(now + 30 * DAY_MS).toISOString().slice(0, 10) : null,
              });
            }
            if (c.activity) {
              const [kind, label, daysAgo] = c.activity;
              await tx.insert(activities).values({
                workspaceId: workspace.id,
                companyId: company!.id,
                contactId: contactIds[0] ?? null,
                kind,
                label,
                actorId: ownerId,
                occurredAt: new Date(now - daysAgo * DAY_MS),
              });
            }
          }
        } else {
          firstCompanyId = (await tx.select({ id: companies.id }).from(companies).where(eq(companies.workspaceId, workspace.id)).limit(1))[0]?.id ?? '';
        }
        result.workspaces.push({
          id: workspace.id,
          name: workspace.name,
          slug: workspace.slug,
          firstCompanyId,
          users: spec.users.map((u) => ({ email: u.email, role: u.role })),
        });
      });
    }
  } finally {
    await pool.end();
  }
  return result;
}
