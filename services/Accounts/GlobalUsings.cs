// The namespaces nearly every endpoint and sign-in step of Accounts uses, written once for the project.
global using System.Security.Claims;
global using FlexWhere.Accounts.Audit;
global using FlexWhere.Accounts.Auth;
global using FlexWhere.Accounts.Data;
global using FlexWhere.Accounts.Mfa;
global using FlexWhere.Accounts.Mobile;
global using FlexWhere.Accounts.Organisations;
global using FlexWhere.Accounts.Users;
global using FlexWhere.Contracts;
global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.AspNetCore.Identity;
global using Microsoft.EntityFrameworkCore;
global using Microsoft.Extensions.Options;
