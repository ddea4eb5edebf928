-- Tenant tables are keyed by (workspace_id, id): what Citus needs to distribute them by workspace_id
-- and co-locate them (checkDistributionReadiness of @acme/nest-tenancy). Ids do not change. The
-- composite foreign keys move from the (workspace_id, id) unique constraints to the new primary keys,
-- and the unique constraints, now duplicates of them, go.
ALTER TABLE "activities" DROP CONSTRAINT "activities_workspace_id_company_id_companies_workspace_id_id_fk";--> statement-breakpoint
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_workspace_id_company_id_companies_workspace_id_id_fk";--> statement-breakpoint
ALTER TABLE "deals" DROP CONSTRAINT "deals_workspace_id_company_id_companies_workspace_id_id_fk";--> statement-breakpoint
ALTER TABLE "deals" DROP CONSTRAINT "deals_workspace_id_primary_contact_id_contacts_workspace_id_id_fk";--> statement-breakpoint
ALTER TABLE "companies" DROP CONSTRAINT "companies_workspace_id_key";--> statement-breakpoint
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_workspace_id_key";--> statement-breakpoint
ALTER TABLE "activities" DROP CONSTRAINT "activities_pkey";--> statement-breakpoint
ALTER TABLE "companies" DROP CONSTRAINT "companies_pkey";--> statement-breakpoint
ALTER TABLE "contacts" DROP CONSTRAINT "contacts_pkey";--> statement-breakpoint
ALTER TABLE "deals" DROP CONSTRAINT "deals_pkey";--> statement-breakpoint
ALTER TABLE "memberships" DROP CONSTRAINT "memberships_pkey";--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_pkey" PRIMARY KEY("workspace_id","id");--> statement-breakpoint
ALTER TABLE "companies" ADD CONSTRAINT "companies_pkey" PRIMARY KEY("workspace_id","id");--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_pkey" PRIMARY KEY("workspace_id","id");--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_pkey" PRIMARY KEY("workspace_id","id");--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_pkey" PRIMARY KEY("workspace_id","id");--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_workspace_id_company_id_companies_workspace_id_id_fk" FOREIGN KEY ("workspace_id","company_id") REFERENCES "public"."companies"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_workspace_id_company_id_companies_workspace_id_id_fk" FOREIGN KEY ("workspace_id","company_id") REFERENCES "public"."companies"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_workspace_id_company_id_companies_workspace_id_id_fk" FOREIGN KEY ("workspace_id","company_id") REFERENCES "public"."companies"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deals" ADD CONSTRAINT "deals_workspace_id_primary_contact_id_contacts_workspace_id_id_fk" FOREIGN KEY ("workspace_id","primary_contact_id") REFERENCES "public"."contacts"("workspace_id","id") ON DELETE no action ON UPDATE no action;
