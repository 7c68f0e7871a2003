// The Notifier's own namespaces and the libraries most of its files use, written once for the project.
global using System.ComponentModel.DataAnnotations;
global using FlexWhere.Contracts;
global using FlexWhere.Notifier.Providers;
global using FlexWhere.Notifier.Providers.Twilio;
global using FlexWhere.Notifier.Sending;
global using MassTransit;
global using Microsoft.Extensions.Options;
