using Microsoft.EntityFrameworkCore;

namespace FlexWhere.Accounts.Data;

/// <summary>Accounts' PostgreSQL database: organisations, users, devices and the audit log.</summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : DbContext(options);
