var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseGatewayPipeline();
app.MapDefaultEndpoints();
app.MapDownstreamHealth();
app.MapPublicApiDocument();
app.MapReverseProxy();

app.Run();
