import { Inject, Injectable } from '@nestjs/common';
import { AuditPipeline } from '../audit-pipeline';
import { RESOLVED_AUDIT_OPTIONS } from '../audit.module-definition';
import type { ResolvedAuditOptions } from '../resolve-audit-options';
import { auditTableName } from '../storage/sql-identifier';
import { AuditCheckpointer } from './audit-checkpointer';
import type { AuditCheckpoint } from './checkpoint';
import { verifyAuditChain } from './verify';
import { publicKeyPem } from './verify-input';
import type { AuditVerification, AuditVerifyOptions } from './verify-result';

/**
 * Verifies the hash chains of the module's audit table and makes checkpoints on demand (see the
 * README's "Integrity" section). Provided and exported by `AuditModule`.
 */
@Injectable()
export class AuditIntegrityService {
  constructor(
    @Inject(RESOLVED_AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly pipeline: AuditPipeline,
    private readonly checkpointer: AuditCheckpointer,
  ) {}

  /**
   * Runs a checkpoint round now (waiting for one in progress): signs every head that moved since
   * its last checkpoint, stores the checkpoints and hands the unpublished ones to
   * `integrity.checkpoints.publish`. Returns the checkpoints this round made; [] without
   * `integrity.checkpoints`. A publish failure is logged, not thrown (the next round retries).
   */
  checkpoint(): Promise<AuditCheckpoint[]> {
    return this.checkpointer.checkpoint();
  }

  /**
   * Verifies one workspace's chain: every entry's hash and personal digest, positions without
   * gaps or duplicates, the head, the checkpoints stored in the database and the `checkpoints`
   * you kept off it (the authoritative ones: a rewrite of the whole table and its heads is
   * caught only by those). Reads in keyset pages inside one read-only snapshot; works on
   * compressed chunks. Signatures are checked with `publicKeys`, by default with the module's
   * own key (when `integrity.checkpoints.signingKey` is set).
   *
   * @throws AuditVerifyError `AUDIT_VERIFY_INVALID` for bad options, `AUDIT_INTEGRITY_NOT_ENABLED`
   * when the table has no chain (its migration ran before integrity existed: run `migrate` again)
   * @throws AuditCheckpointError `AUDIT_INVALID_SIGNING_KEY` when a public key is not Ed25519
   */
  verify(options: AuditVerifyOptions): Promise<AuditVerification> {
    const own = this.options.integrity.checkpoints;
    return verifyAuditChain(
      this.pipeline.database,
      {
        name: auditTableName(this.options.table, this.options.schema),
        ...(own ? { defaultPublicKeys: new Map([[own.keyId, publicKeyPem(own.signingKey, 'integrity.checkpoints.signingKey')]]) } : {}),
      },
      options,
    );
  }
}
