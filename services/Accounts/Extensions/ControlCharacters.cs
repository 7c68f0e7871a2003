using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexWhere.Accounts;

/// <summary>
/// Control characters (C0 with NUL, TAB, CR and LF; DEL; C1) are refused in every text Accounts
/// takes: JSON bodies, the query string, the path and the fields of a CSV import. No field of this
/// API has a use for them; PostgreSQL refuses NUL outright (which surfaced as 503
/// accounts_unavailable), and the others end in logs, the audit log and exports, where they forge lines.
/// </summary>
public static class ControlCharacters
{
    private const string ItemKey = "FlexWhere.ControlCharacterInBody";

    private sealed record BodyRefusal(JsonException Exception, string Value);

    /// <summary>The same set as <see cref="char.IsControl(char)"/>: U+0000–U+001F and U+007F–U+009F.</summary>
    public static int IndexIn(string? value)
    {
        if (value is null) return -1;
        var c0 = value.AsSpan().IndexOfAnyInRange('\u0000', '\u001F');
        var rest = value.AsSpan().IndexOfAnyInRange('\u007F', '\u009F');
        return c0 < 0 ? rest : rest < 0 ? c0 : Math.Min(c0, rest);
    }

    public static bool Contain(string? value) => IndexIn(value) >= 0;

    /// <summary>A 400 validation_failed naming the field in <c>errors</c> and, as before, in <c>field</c>.</summary>
    public static ApiProblem Problem(string where, string field, string value)
    {
        var found = value[IndexIn(value)];
        var detail = $"{where} contains a control character (U+{(int)found:X4}{Name(found)}). Remove it and send the request again: "
            + "no text here may hold tabs, line breaks or other invisible control characters.";
        return ApiProblem.Validation(field, detail).With("field", field);
    }

    private static string Name(char c) => c switch
    {
        '\0' => ", NUL",
        '\t' => ", tab",
        '\n' => ", line feed",
        '\r' => ", carriage return",
        '\u007F' => ", DEL",
        _ => "",
    };

    /// <summary>The problem for the first query parameter, or the path, holding a control character; else null.</summary>
    public static ApiProblem? CheckUrl(HttpRequest request)
    {
        // Route values come from the path, so this covers them too, also when the control character
        // made a route constraint fail (which would otherwise answer 404).
        if (Contain(request.Path.Value)) return Problem("The address", "path", request.Path.Value!);
        foreach (var (name, values) in request.Query)
        {
            if (Contain(name)) return Problem("The name of a query parameter", Printable(name), name);
            foreach (var value in values)
            {
                if (Contain(value)) return Problem($"The query parameter '{name}'", name, value!);
            }
        }

        return null;
    }

    /// <summary>The problem for the first CSV field holding a control character, named by its 0-based data
    /// row and its column; else null. Line breaks between records are in no field; one in a quoted field is.</summary>
    public static ApiProblem? CheckCsv(IReadOnlyList<IReadOnlyList<string>> records)
    {
        for (var row = 0; row < records.Count; row++)
        {
            for (var column = 0; column < records[row].Count; column++)
            {
                var value = records[row][column];
                if (!Contain(value)) continue;
                if (row == 0) return Problem($"Column {column + 1} of the header row", $"column {column + 1}", value);
                var header = column < records[0].Count && !Contain(records[0][column]) ? records[0][column].Trim() : null;
                var name = string.IsNullOrEmpty(header) ? $"column {column + 1}" : header;
                return Problem($"The {name} of data row {row - 1}", name, value).With("row", row - 1);
            }
        }

        return null;
    }

    /// <summary>A control character in any string of a JSON body fails its binding; <see cref="UseControlCharacterProblems"/>
    /// names the field.</summary>
    public static void AddControlCharacterChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>().Configure<IHttpContextAccessor>(
            (json, accessor) => json.SerializerOptions.Converters.Add(new ControlCharacterRefusingConverter(accessor)));

        // The schema generator cannot see through a custom converter and would describe every string as
        // "anything" ({}); say again what the built-in converter would have said.
        builder.Services.Configure<Microsoft.AspNetCore.OpenApi.OpenApiOptions>("v1", openApi =>
            openApi.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(string) && schema.Type is null)
            {
                var nullable = context.JsonPropertyInfo is { } property && (property.IsGetNullable || property.IsSetNullable);
                schema.Type = nullable ? Microsoft.OpenApi.JsonSchemaType.String | Microsoft.OpenApi.JsonSchemaType.Null
                    : Microsoft.OpenApi.JsonSchemaType.String;
            }
            else if (context.JsonTypeInfo.ElementType == typeof(string) && schema.Items is null)
            {
                schema.Items = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String };
            }

            return Task.CompletedTask;
        }));
    }

    /// <summary>Kept for <see cref="UseControlCharacterProblems"/>: a binding failure ends as a bare 400,
    /// and the refused field's JSON path survives only on this exception.</summary>
    internal static void Remember(HttpContext? http, JsonException refusal, string value)
    {
        if (http is not null) http.Items[ItemKey] = new BodyRefusal(refusal, value);
    }

    /// <summary>Refuses a control character in the URL before the endpoint runs, and turns a body that
    /// <see cref="ControlCharacterRefusingConverter"/> refused into a problem naming the field.</summary>
    public static IApplicationBuilder UseControlCharacterProblems(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (CheckUrl(http.Request) is { } refused)
        {
            await refused.WriteAsync(http);
            return;
        }

        try
        {
            await next(http);
        }
        catch (BadHttpRequestException) when (!http.Response.HasStarted && http.Items[ItemKey] is BodyRefusal body)
        {
            // System.Text.Json writes the path onto the converter's exception as it unwinds: "$.users[3].displayName".
            var p = body.Exception.Path;
            var path = p is { Length: > 2 } && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : p ?? "body";
            await Problem($"The field '{path}'", path, body.Value).WriteAsync(http);
        }
    });

    private static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));
}

/// <summary>Every string of every JSON body Accounts binds passes here: a control character fails the
/// binding, so no handler, log or database sees the value.</summary>
public sealed class ControlCharacterRefusingConverter(IHttpContextAccessor accessor) : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString());

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString())!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    private string? Checked(string? value)
    {
        if (!ControlCharacters.Contain(value)) return value;
        var refusal = new JsonException("A string holds a control character.");
        ControlCharacters.Remember(accessor.HttpContext, refusal, value!);
        throw refusal;
    }
}
