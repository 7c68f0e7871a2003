using FlexWhere.Accounts.Audit;
using FlexWhere.Accounts.Auth;
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
app.MapUsersApi();
app.MapImportApi();
app.MapOrganisationApi();
app.MapAuditApi();

app.Run();
