using System.Text;

namespace FlexWhere.Accounts.Users;

/// <summary>RFC 4180 CSV: comma-separated, fields optionally in double quotes with "" for a quote,
/// CRLF or LF line ends. Blank lines are skipped when reading; written with CRLF.</summary>
public static partial class Csv
{
    /// <summary>What a spreadsheet reads as a formula when a cell starts with it (OWASP "CSV injection").</summary>
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    /// <summary>The rows as a CSV file: every cell that a spreadsheet would run as a formula starts with a single quote, so it is
    /// shown as text; cells with a comma, a quote or a line break are quoted. A file for a person's spreadsheet, never for
    /// <see cref="Parse"/>.</summary>
    public static string Write(IEnumerable<IEnumerable<string?>> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows) text.Append(string.Join(',', row.Select(Cell))).Append("\r\n");
        return text.ToString();
    }

    /// <summary>A download of <paramref name="text"/>: UTF-8 with a byte order mark, so spreadsheets read "•" and "é" right.</summary>
    public static FileContentHttpResult File(string text, string name) =>
        TypedResults.File([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)], "text/csv; charset=utf-8", name);

    private static string Cell(string? value)
    {
        var cell = value ?? "";
        if (cell.Length > 0 && FormulaStarts.Contains(cell[0])) cell = "'" + cell;
        return cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
    }

    /// <summary>A full number that slipped into free text (a detail of an audit entry), masked as everywhere else.</summary>
    public static string MaskNumbers(string text) => FullNumber().Replace(text, match =>
        Phones.Check(match.Value).E164 is { } e164 ? Phones.Mask(e164) : new string('•', match.Length));

    [System.Text.RegularExpressions.GeneratedRegex(@"\+\d{7,15}")]
    private static partial System.Text.RegularExpressions.Regex FullNumber();

    public static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var fieldStarted = false;

        void EndField()
        {
            record.Add(field.ToString());
            field.Clear();
            fieldStarted = false;
        }

        void EndRecord()
        {
            EndField();
            if (record.Count > 1 || record[0].Length > 0) records.Add(record);
            record = [];
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
                continue;
            }

            switch (c)
            {
                case '"' when !fieldStarted: quoted = true; fieldStarted = true; break;
                case ',': EndField(); break;
                case '\r': break;
                case '\n': EndRecord(); break;
                default: field.Append(c); fieldStarted = true; break;
            }
        }

        if (field.Length > 0 || record.Count > 0) EndRecord();
        return records;
    }
}
