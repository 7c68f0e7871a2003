using FlexWhere.Accounts;
using Microsoft.AspNetCore.Authentication.JwtBearer;

public static class Extensions
{
    public const string DatabaseConnectionName = AccountsDbContext.ConnectionName;

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.RequireConnectionString(DatabaseConnectionName,
            "an Npgsql connection string (Host=…;Port=…;Username=…;Password=…;Database=accounts)");

        // Tracing and retries on transient Npgsql errors come with the integration. Its health check
        // would retry too, and a readiness probe must answer within seconds, so ours runs one query
        // without the retrying execution strategy. A query, not just an open: opening hands out a
        // pooled connection without asking the server, so a stopped database would look healthy.
        // EF's default retrying strategy (6 retries, up to 30 s apart) makes a sign-in wait about a minute
        // for its 503 while the database is down; a person at the sign-in page should hear within seconds.
        // Three quick retries still ride out a dropped pooled connection or a failover.
        builder.AddNpgsqlDbContext<AccountsDbContext>(DatabaseConnectionName, settings =>
            {
                settings.DisableHealthChecks = true;
                settings.ConnectionString = FlexWhere.Accounts.Extensions.DatabaseConnection.Tuned(settings.ConnectionString);
            },
            options => options.UseNpgsql(npgsql => npgsql.EnableRetryOnFailure(maxRetryCount: 3, maxRetryDelay: TimeSpan.FromSeconds(2),
                errorCodesToAdd: null)));
        builder.Services.AddHealthChecks().AddDbContextCheck<AccountsDbContext>(
            nameof(AccountsDbContext),
            customTestQuery: async (db, cancellationToken) =>
            {
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(cancellationToken);
                try
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "SELECT 1";
                    return await command.ExecuteScalarAsync(cancellationToken) is 1;
                }
                finally
                {
                    await connection.CloseAsync();
                }
            });

        builder.AddDefaultOpenApi();

        builder.Services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        builder.Services.AddOptions<PasswordSignInOptions>().BindConfiguration(PasswordSignInOptions.Section).ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<PasswordCheckGate>();
        builder.Services.AddOptions<SessionLimits>().BindConfiguration(SessionLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddTimeProvider();
        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddSingleton<Tokens>();
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.AddMfa();
        builder.AddAccountLinks();
        builder.Services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section)
            .Validate(OperatorOptions.AreValid, "Operators:Keys: each operator's name is lower-case letters, digits, '.', '_' or '-' " +
                "(at most 40), and each key 32 to 512 characters.")
            .ValidateOnStart();

        builder.AddAuthentication();
        builder.AddMobileFactors();
        builder.Services.AddExceptionHandler<FlexWhere.Accounts.Extensions.DatabaseUnavailableHandler>();

        // Request bodies: DataAnnotations on the request records, and binding failures, answer 400 validation_failed with errors.
        builder.AddRequestValidation();
        builder.Services.AddValidation();
        builder.AddControlCharacterChecks();
    }

    /// <summary>Invitations and password links, and the outbox their e-mails leave by. Accounts publishes only
    /// through the outbox, so it serves sign-ins while RabbitMQ is away: the broker is not part of its readiness.</summary>
    private static void AddAccountLinks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccountLinkOptions>().BindConfiguration(AccountLinkOptions.Section).ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<AccountLinks>();
        builder.Services.AddScoped<SecurityNotices>();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<Outbox>();
        builder.Services.AddHostedService<OutboxDispatcher>();
        builder.AddMessaging(brokerGatesReadiness: false);
    }

    private static void AddMfa(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MfaOptions>().BindConfiguration(MfaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ChallengesOptions>().BindConfiguration(ChallengesOptions.Section).ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<InternalApiOptions>().BindConfiguration(InternalApiOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<SignInContext>();
        builder.Services.AddSingleton<SecondFactorGuard>();
        builder.Services.AddOptions<WebAuthnOptions>().BindConfiguration(WebAuthnOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Fido2NetLib.IFido2>(services => new Fido2NetLib.Fido2(WebAuthnOptions.Configure(
            services.GetRequiredService<IOptions<WebAuthnOptions>>().Value, services.GetRequiredService<IOptions<AccountLinkOptions>>().Value)));
        builder.Services.AddScoped<PasskeyCeremonies>();
        builder.Services.AddHostedService<Housekeeping>();

        // No retry layer here on purpose: see ChallengesClient.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt out.
        builder.Services.AddHttpClient<ChallengesClient>((services, http) =>
        {
            var options = services.GetRequiredService<IOptions<ChallengesOptions>>().Value;
            http.BaseAddress = options.BaseUrl;
            http.Timeout = options.Timeout;
        }).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(s => s.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }

    private static void AddAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<Tokens>((options, tokens) =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = tokens.ValidationParameters();
            // The token's signature is not enough: its session must still be live (Sessions).
            options.Events = new JwtBearerEvents { OnTokenValidated = Sessions.ValidateAsync, OnChallenge = Sessions.ChallengeAsync };
        });
        // Admins and managers act only in sessions earned with a second factor (acr aal2), on any client.
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, policy => policy.RequireAuthenticatedUser().RequireRole(nameof(UserRole.Admin))
                .RequireClaim(TokenClaims.Acr, Assurance.MultiFactorAcrs))
            .AddPolicy(Policies.AdminOrManager, policy => policy.RequireAuthenticatedUser()
                .RequireRole(nameof(UserRole.Admin), nameof(UserRole.Manager)).RequireClaim(TokenClaims.Acr, Assurance.MultiFactorAcrs));
    }

    public static WebApplication UseAccountsPipeline(this WebApplication app)
    {
        // Only the Gateway, proved by its secret, may say who the client is (ServiceDefaults).
        app.UseGatewayForwardedHeaders();
        // Answers carry tokens, tickets, codes and personal data: no browser or proxy may keep them.
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                if (!http.Response.Headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.CacheControl))
                {
                    http.Response.Headers.CacheControl = "no-store";
                }
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseRequestSizeLimits();
        app.UseControlCharacterProblems();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePinSetupRule();
        return app;
    }
}
