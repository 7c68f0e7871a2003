var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseGatewayForwardedHeaders();
app.MapOpenApi();
app.MapNotifierEndpoints();

app.Run();
