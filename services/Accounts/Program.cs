var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseAccountsPipeline();
app.MapOpenApi();

app.MapAuthApi();
app.MapMfaApi();
app.MapAccountSecurityApi();
app.MapSessionsApi();
app.MapAdminMfaApi();
app.MapUsersApi();
app.MapImportApi();
app.MapOrganisationApi();
app.MapAuditApi();
app.MapPinApi();
app.MapTotpApi();
app.MapStepUpApi();
app.MapEnrollmentCodeApi();
app.MapPasswordLinksApi();
app.MapOperatorApi();
app.MapFactorsApi();
app.MapPasskeySignInApi();

app.Run();
