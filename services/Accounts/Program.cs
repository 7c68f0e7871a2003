using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
using FlexWhere.Accounts.Mfa;
using FlexWhere.Accounts.Mobile;
using FlexWhere.Accounts.Organisations;
using FlexWhere.Accounts.Users;

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
app.MapAdminMfaApi();
app.MapUsersApi();
app.MapImportApi();
app.MapOrganisationApi();
app.MapAuditApi();
app.MapPinApi();
app.MapTotpApi();
app.MapStepUpApi();
app.MapEnrollmentCodeApi();

app.Run();
