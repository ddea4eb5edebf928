import { Module } from '@nestjs/common';
import { MembersModule } from '../members/members.module';
import { ContactsController } from './contacts.controller';
import { ContactsService } from './contacts.service';

@Module({ imports: [MembersModule], controllers: [ContactsController], providers: [ContactsService] })
export class ContactsModule {}
