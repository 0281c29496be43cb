import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from 'kysely';
import type { Db, Dialect } from './connect.js';

// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema as it was, not as it is
type AnyDb = Kysely<any>;
type Table = CreateTableBuilder<string, never>;

function idColumn(table: Table, dialect: Dialect): Table {
  // SQLite aliases `integer primary key` to its rowid; the others need a 64-bit identity column.
  if (dialect === 'sqlite') return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  if (dialect === 'postgres') return table.addColumn('id', 'bigserial', (c) => c.primaryKey());
  return table.addColumn('id', 'bigint', (c) => c.primaryKey().autoIncrement());
}

// MySQL's default collations ignore case and accents: usernames and order numbers must compare exactly.
function tableOptions(table: Table, dialect: Dialect): Table {
  return dialect === 'mysql'
    ? table.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`)
    : table;
}

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

function createTable(db: AnyDb, dialect: Dialect, name: string, build: (t: Table) => Table) {
  return tableOptions(build(idColumn(db.schema.createTable(name) as Table, dialect)), dialect).execute();
}

function initialSchema(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await createTable(db, dialect, 'users', (t) =>
        t
          .addColumn('username', 'varchar(64)', notNull)
          .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('wallet_address', 'varchar(64)')
          .addColumn('created_at', 'bigint', notNull)
          .addColumn('updated_at', 'bigint', notNull)
          .addUniqueConstraint('users_username_uq', ['username']),
      );
      await createTable(db, dialect, 'orders', (t) =>
        t
          .addColumn('order_number', 'varchar(20)', notNull)
          .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addColumn('billing_name', 'varchar(20)', notNull)
          .addColumn('amount', 'bigint', notNull)
          .addColumn('status', 'varchar(16)', notNull)
          .addColumn('pending_key', 'varchar(64)')
          .addColumn('cancel_reason', 'varchar(32)')
          .addColumn('late_match', 'smallint', (c) => c.notNull().defaultTo(0))
          .addColumn('memo', 'varchar(500)')
          .addColumn('created_at', 'bigint', notNull)
          .addColumn('updated_at', 'bigint', notNull)
          .addColumn('expires_at', 'bigint', notNull)
          .addColumn('registered_at', 'bigint')
          .addColumn('matched_at', 'bigint')
          .addColumn('completed_at', 'bigint')
          .addColumn('cancelled_at', 'bigint')
          .addUniqueConstraint('orders_order_number_uq', ['order_number'])
          .addUniqueConstraint('orders_pending_key_uq', ['pending_key']),
      );
      await db.schema.createIndex('orders_user_id_idx').on('orders').columns(['user_id', 'id']).execute();
      await db.schema.createIndex('orders_status_id_idx').on('orders').columns(['status', 'id']).execute();
      await db.schema.createIndex('orders_created_at_idx').on('orders').columns(['created_at']).execute();
      await db.schema
        .createIndex('orders_status_expires_idx')
        .on('orders')
        .columns(['status', 'expires_at'])
        .execute();

      await createTable(db, dialect, 'ledger_entries', (t) =>
        t
          .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addColumn('order_id', 'bigint', (c) => c.notNull().references('orders.id'))
          .addColumn('amount', 'bigint', notNull)
          .addColumn('balance_after', 'bigint', notNull)
          .addColumn('reason', 'varchar(16)', notNull)
          .addColumn('created_at', 'bigint', notNull)
          .addUniqueConstraint('ledger_order_reason_uq', ['order_id', 'reason']),
      );
      await db.schema
        .createIndex('ledger_user_id_idx')
        .on('ledger_entries')
        .columns(['user_id', 'id'])
        .execute();

      await createTable(db, dialect, 'webhook_events', (t) =>
        t
          .addColumn('trace_id', 'varchar(128)')
          .addColumn('order_number', 'varchar(64)', notNull)
          .addColumn('order_status', 'varchar(32)', notNull)
          .addColumn('processing_date', 'varchar(64)')
          .addColumn('outcome', 'varchar(32)', notNull)
          .addColumn('received_at', 'bigint', notNull)
          .addUniqueConstraint('webhook_events_trace_id_uq', ['trace_id']),
      );
      await db.schema
        .createIndex('webhook_events_order_idx')
        .on('webhook_events')
        .columns(['order_number'])
        .execute();

      await createTable(db, dialect, 'audit_log', (t) =>
        t
          .addColumn('actor_kind', 'varchar(16)', notNull)
          .addColumn('actor_id', 'varchar(64)', notNull)
          .addColumn('action', 'varchar(32)', notNull)
          .addColumn('order_id', 'bigint')
          .addColumn('user_id', 'bigint')
          .addColumn('from_status', 'varchar(16)')
          .addColumn('to_status', 'varchar(16)')
          .addColumn('reason', 'varchar(500)')
          .addColumn('created_at', 'bigint', notNull),
      );
      await db.schema
        .createIndex('audit_log_order_idx')
        .on('audit_log')
        .columns(['order_id', 'id'])
        .execute();

      await createTable(db, dialect, 'idempotency_keys', (t) =>
        t
          .addColumn('scope', 'varchar(100)', notNull)
          .addColumn('idem_key', 'varchar(255)', notNull)
          .addColumn('request_hash', 'varchar(64)', notNull)
          .addColumn('state', 'varchar(8)', notNull)
          .addColumn('response_status', 'integer')
          .addColumn('response_body', 'text')
          .addColumn('created_at', 'bigint', notNull)
          .addUniqueConstraint('idempotency_scope_key_uq', ['scope', 'idem_key']),
      );
    },
  };
}

/** Expiry claims: one instance at a time works on an expiring order. */
const expiryClaims: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable('orders').addColumn('claimed_until', 'bigint').execute();
  },
};

/** Every deposit counts the user's pending orders under the user's lock: read only those. */
const pendingPerUser: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createIndex('orders_user_status_idx')
      .on('orders')
      .columns(['user_id', 'status'])
      .execute();
  },
};

/** Versioned migrations, in order. Never edit one that has shipped; add the next. */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001_initial': initialSchema(dialect),
    '0002_expiry_claims': expiryClaims,
    '0003_pending_per_user': pendingPerUser,
  };
}

function migrator(db: Db): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(db.dialect) };
  return new Migrator({ db: db.kysely, provider });
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when the database has every migration this build knows. */
export async function isMigrated(db: Db): Promise<boolean> {
  const all = await migrator(db).getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
