using System.Globalization;
using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>Python's datetime.strftime for the C-locale directives (strftime_now in Llama 3.x templates).</summary>
internal static class PyStrftime
{
    public static string Format(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            var d = format[++i];
            sb.Append(d switch
            {
                'd' => t.Day.ToString("00", c),
                'm' => t.Month.ToString("00", c),
                'Y' => t.Year.ToString("0000", c),
                'y' => (t.Year % 100).ToString("00", c),
                'H' => t.Hour.ToString("00", c),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", c),
                'M' => t.Minute.ToString("00", c),
                'S' => t.Second.ToString("00", c),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'a' => t.ToString("ddd", c),
                'A' => t.ToString("dddd", c),
                'b' or 'h' => t.ToString("MMM", c),
                'B' => t.ToString("MMMM", c),
                'j' => t.DayOfYear.ToString("000", c),
                'w' => ((int)t.DayOfWeek).ToString(c),
                'e' => t.Day.ToString(c).PadLeft(2),
                'F' => t.ToString("yyyy-MM-dd", c),
                'T' => t.ToString("HH:mm:ss", c),
                'D' => t.ToString("MM/dd/yy", c),
                'R' => t.ToString("HH:mm", c),
                'c' => t.ToString("ddd MMM ", c) + t.Day.ToString(c).PadLeft(2) + t.ToString(" HH:mm:ss yyyy", c),
                'x' => t.ToString("MM/dd/yy", c),
                'X' => t.ToString("HH:mm:ss", c),
                'z' or 'Z' => "",
                '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}
