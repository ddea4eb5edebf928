import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CheckAbility } from '@acme/nest-casl';
import { ViewResponse } from '@acme/nest-view-presenter';
import { AuditPage } from '@acme-examples/crm-contracts';
import { AuditEntryPresenter } from './audit-entry.presenter';
import { AuditSearchQueryDto } from './audit-search.dto';
import { AuditTrailService } from './audit-trail.service';

@ApiTags('Audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly trail: AuditTrailService) {}

  /** The workspace's audit trail, newest first: who did what to which record, successes and failures (denials included). */
  @Get()
  @CheckAbility('Read', 'AuditEntry')
  @ViewResponse(AuditPage)
  async search(@Query() query: AuditSearchQueryDto) {
    const page = await this.trail.search(query);
    return { items: AuditEntryPresenter.toViews(page.items, { users: page.users }), next_cursor: page.nextCursor };
  }
}
