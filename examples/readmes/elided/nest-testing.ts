// What the README of @acme/nest-testing leaves out with `...`: the app under test and its seed.
import { Module } from '@nestjs/common';

@Module({})
export class AppModule {}

export const WS_A = '0b6f1f5e-0000-4000-8000-00000000000a';
export const WS_B = '0b6f1f5e-0000-4000-8000-00000000000b';
export const companyOfA = '0b6f1f5e-0000-4000-8000-0000000000c1';
export const otherCompanyOfA = '0b6f1f5e-0000-4000-8000-0000000000c2';
export const dealOfA = '0b6f1f5e-0000-4000-8000-0000000000d1';
