import { QueuesModule } from '@acme/nest-queues';
import { Module } from '@nestjs/common';
import { IdentityModule } from '../auth/identity.module';
import { emails } from '../jobs/queues';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { WorkspaceUsers } from './workspace-users';

@Module({
  imports: [IdentityModule, QueuesModule.forFeature([emails])],
  controllers: [MembersController],
  providers: [MembersService, WorkspaceUsers],
  exports: [WorkspaceUsers],
})
export class MembersModule {}
