using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace DriverSafety.CodeFixes.Support
{
    /// <summary>
    /// The arguments a diagnostic's message was formatted with, recovered through its descriptor's own message format
    /// (<c>"Calling '{0}' requires lock '{1}' held{2}"</c>): the fixes read the lock a finding names without the analyzer
    /// having to publish it twice. Lock expressions are identifiers and dots, so no argument contains the format's text.
    /// </summary>
    internal static class MessageArguments
    {
        private static readonly Regex Placeholder = new Regex(@"\\\{(\d+)}", RegexOptions.CultureInvariant);

        /// <summary>The argument at <paramref name="index"/>, or null when the message does not match its format.</summary>
        public static string? Of(Diagnostic diagnostic, int index)
        {
            var format = diagnostic.Descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture);
            var pattern = "^" + Placeholder.Replace(Regex.Escape(format), m => "(?<a" + m.Groups[1].Value + ">.*?)") + "$";
            var match = Regex.Match(diagnostic.GetMessage(CultureInfo.InvariantCulture), pattern, RegexOptions.Singleline | RegexOptions.CultureInvariant);
            if (!match.Success)
            {
                return null;
            }

            var group = match.Groups["a" + index.ToString(CultureInfo.InvariantCulture)];
            return group.Success ? group.Value : null;
        }
    }
}
