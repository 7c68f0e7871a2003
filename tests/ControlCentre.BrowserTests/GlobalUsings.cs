global using Aspire.Hosting.ApplicationModel;
global using FlexWhere.EndToEndTests;
global using Microsoft.Playwright;
global using static Microsoft.Playwright.Assertions;
