import { Module } from '@nestjs/common';
import { MembersModule } from '../members/members.module';
import { DealsController } from './deals.controller';
import { DealsService } from './deals.service';

@Module({ imports: [MembersModule], controllers: [DealsController], providers: [DealsService] })
export class DealsModule {}
