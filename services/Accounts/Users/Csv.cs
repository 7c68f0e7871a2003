using System.Text;

namespace FlexWhere.Accounts.Users;

/// <summary>RFC 4180 CSV: comma-separated, fields optionally in double quotes with "" for a quote,
/// CRLF or LF line ends. Blank lines are skipped.</summary>
public static class Csv
{
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
