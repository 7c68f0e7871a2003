// The entity namespaces the DbContext, the seed and the entities refer to, written once for the project.
global using FlexWhere.Accounts.Audit;
global using FlexWhere.Accounts.Auth;
global using FlexWhere.Accounts.Data;
global using FlexWhere.Accounts.Mfa;
global using FlexWhere.Accounts.Mobile;
global using FlexWhere.Accounts.Organisations;
global using FlexWhere.Accounts.Users;
global using Microsoft.EntityFrameworkCore;
