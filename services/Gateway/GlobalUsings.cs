// The Gateway's own namespaces and the libraries most of its files use, written once for the project.
global using System.ComponentModel.DataAnnotations;
global using FlexWhere.Contracts;
global using FlexWhere.Gateway;
global using FlexWhere.Gateway.Auth;
global using FlexWhere.Gateway.ControlCentre;
global using FlexWhere.Gateway.Correlation;
global using FlexWhere.Gateway.Health;
global using FlexWhere.Gateway.OpenApi;
global using FlexWhere.Gateway.RateLimiting;
global using FlexWhere.Gateway.Security;
global using Microsoft.Extensions.Options;
global using StackExchange.Redis;
global using Yarp.ReverseProxy.Configuration;
global using Yarp.ReverseProxy.Transforms;
