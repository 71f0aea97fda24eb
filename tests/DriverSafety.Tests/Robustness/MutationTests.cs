using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// Bad input never crashes the analyzer (an exception becomes AD0001 in a user's build and hides every finding).
/// Annotated driver code is broken in seeded, repeatable ways — a line deleted, a run of tokens cut out, an annotation
/// string replaced by a malformed one — and every broken version is analysed: no analyzer exception, ever.
/// </summary>
public sealed class MutationTests
{
    private static readonly string[] MalformedStrings =
    {
        "\"\"", "null", "\"x.(\"", "\"this.this\"", "\"..\"", "\"Resv.Lock\"", "\"return\"", "\"obj\"", "1", "\"a b\"", "\"return.Resv\"", "\"Device.\"",
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Broken_driver_code_never_makes_the_analyzer_throw(int seed)
    {
        // The example's annotated core and the driver functions that use it; each round breaks one of the two files.
        var folder = Path.Combine(Repository.Root, "sample-driver", "DriverSafety.Example");
        var sources = new[] { "Core.cs", "Driver.cs" }.Select(f => File.ReadAllText(Path.Combine(folder, f))).ToArray();
        Assert.Empty(await AnalyzeAsync(sources));
        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var which = random.Next(sources.Length);
            var (mutated, what) = Mutate(sources[which], random);
            var round = (string[])sources.Clone();
            round[which] = mutated;
            var exceptions = await AnalyzeAsync(round);
            if (exceptions.Count > 0)
            {
                failures.Add($"file {which}, {what}: {string.Join("; ", exceptions)}");
            }
        }

        Assert.True(failures.Count == 0, "The analyzer threw on broken code:" + Environment.NewLine + string.Join(Environment.NewLine, failures));
    }

    private static (string Source, string What) Mutate(string source, Random random)
    {
        var tree = CSharpSyntaxTree.ParseText(source);
        var strings = tree.GetRoot().DescendantTokens().Where(t => t.IsKind(SyntaxKind.StringLiteralToken)).ToList();
        switch (random.Next(strings.Count > 0 ? 3 : 2))
        {
            case 0:
            {
                var lines = source.Split('\n').ToList();
                var line = random.Next(lines.Count);
                lines.RemoveAt(line);
                return (string.Join('\n', lines), $"line {line + 1} deleted");
            }

            case 1:
            {
                var tokens = tree.GetRoot().DescendantTokens().ToList();
                var first = random.Next(tokens.Count);
                var last = Math.Min(tokens.Count - 1, first + random.Next(6));
                var start = tokens[first].SpanStart;
                var end = tokens[last].Span.End;
                return (source.Remove(start, end - start), $"tokens {first}..{last} cut");
            }

            default:
            {
                var literal = strings[random.Next(strings.Count)];
                var replacement = MalformedStrings[random.Next(MalformedStrings.Length)];
                return (source.Remove(literal.SpanStart, literal.Span.Length).Insert(literal.SpanStart, replacement), $"{literal.Text} replaced by {replacement}");
            }
        }
    }

    private static async Task<IReadOnlyList<string>> AnalyzeAsync(string[] sources)
    {
        var compilation = AnalyzerRun.Compile("Mutated", sources.Select((s, i) => AnalyzerRun.Parse(s, $"File{i}.cs")));
        return (await AnalyzerRun.AnalyzeAsync(compilation)).Exceptions;
    }
}
