import { Module } from '@nestjs/common';
import { MembersModule } from '../members/members.module';
import { CompaniesController } from './companies.controller';
import { CompaniesService } from './companies.service';
import { CompanyStatsLoader } from './company-stats';

@Module({
  imports: [MembersModule],
  controllers: [CompaniesController],
  providers: [CompaniesService, CompanyStatsLoader],
})
export class CompaniesModule {}
