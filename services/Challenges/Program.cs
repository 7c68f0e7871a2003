var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

// Before anything reads the client address: the per-IP limits count the Gateway's X-Forwarded-For.
app.UseGatewayForwardedHeaders();
app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapChallengesApis();

app.Run();
