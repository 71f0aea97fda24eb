using System.Collections.Immutable;
using System.Text.RegularExpressions;
using DriverSafety.Analyzers;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverSafety.Tests.Robustness;

/// <summary>A small compilation to break: its trees, and which of them a mutant may change.</summary>
internal sealed record FuzzCorpus(string Name, CSharpCompilation Compilation, ImmutableArray<SyntaxTree> Mutable);

/// <summary>What one analysis of one document gave: the analyzer's diagnostics and every exception it threw.</summary>
internal sealed record DocumentResult(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<string> Exceptions);

/// <summary>
/// Breaks annotated sources the way an editor sees them mid-edit — tokens deleted, duplicated, swapped, the file cut
/// short, an identifier retyped, an attribute moved to another member, an annotation string corrupted — and analyses
/// the broken document as an editor host does: semantic diagnostics for that one tree
/// (<see cref="CompilationWithAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(SemanticModel, Microsoft.CodeAnalysis.Text.TextSpan?, CancellationToken)"/>),
/// which runs on code full of syntax errors. Everything is seeded.
/// </summary>
internal static class EditorFuzzer
{
    /// <summary>Annotation strings an editor passes through while one is typed, and worse.</summary>
    private static readonly string[] MalformedStrings =
    {
        "\"\"", "null", "\"x.(\"", "\"this.this\"", "\"..\"", "\"Resv.Lock\"", "\"return\"", "\"obj\"", "1", "\"a b\"", "\"return.Resv\"",
        "\"Device.\"", "\"Resv[0]\"", "\"Get().Resv\"", "\"@@\"", "\"\\u0000\"", "\"" + new string('a', 600) + "\"", "\"Io|NoSuchFlag\"", "\"|\"",
        "\"Kernel|\"", "\"~Io\"", "\"dma-mapping2\"", "\"sgt.sgt.sgt\"", "typeof(int)", "nameof(Mutex)", "\"this\"", "\"base.Lock\"", "\"value\"",
        "\"return.return\"", "\"*\"", "\"dev,,dir\"", "\",\"", "\"-1\"", "(string)null", "\"\\\"\"",
    };

    /// <summary>How the document-level mutants are made, for the failure messages and the per-operator counts.</summary>
    public static readonly string[] Operators = { "delete", "duplicate", "swap", "truncate", "retype", "corrupt-string", "move-attribute", "delete-line" };

    /// <summary>
    /// The corpora: the example driver (its core and its driver), the context kernel with the code that uses it, the
    /// sample driver, and every rule test's input (a raw string of the tests of the four families and of the
    /// annotations) that compiles beside the prelude and its family's kernel.
    /// </summary>
    public static IReadOnlyList<FuzzCorpus> Corpora() => LazyCorpora.Value;

    /// <summary>The index of the sample driver's corpus; the rule tests' inputs follow it.</summary>
    public const int SampleDriver = 2;

    private static readonly Lazy<IReadOnlyList<FuzzCorpus>> LazyCorpora = new(BuildCorpora);

    private static IReadOnlyList<FuzzCorpus> BuildCorpora()
    {
        var corpora = new List<FuzzCorpus>();
        var example = Path.Combine(Repository.Root, "sample-driver", "DriverSafety.Example");
        corpora.Add(Make("example", new[] { ("Core.cs", File.ReadAllText(Path.Combine(example, "Core.cs"))), ("Driver.cs", File.ReadAllText(Path.Combine(example, "Driver.cs"))) }, all: true));
        corpora.Add(Make("context", new[] { (Prelude.FileName, Prelude.Source), ("ContextKernel.cs", Context.ContextKernel.Source), ("ContextDriver.cs", MutationTests.ContextDriver) }, all: true));

        // The 9,400-line sample driver: one of its files broken at a time, and only that document analysed.
        var driver = (CSharpCompilation)Samples.SampleDriverTests.CompileDriver();
        corpora.Add(new FuzzCorpus("sample-driver", driver, driver.SyntaxTrees.Where(t => !t.FilePath.EndsWith("GlobalUsings.g.cs", StringComparison.Ordinal)).ToImmutableArray()));

        var testsRoot = Path.Combine(Repository.Root, "tests", "DriverSafety.Tests");
        foreach (var folder in new[] { "Locking", "Context", "Lifetimes", "LockOrder", "Annotations" })
        {
            var kernel = folder switch
            {
                "Context" or "LockOrder" => ("ContextKernel.cs", Context.ContextKernel.Source),
                "Lifetimes" => ("LifetimeApi.cs", Lifetimes.LifetimeSources.Api),
                _ => ((string, string)?)null,
            };
            foreach (var file in Directory.GetFiles(Path.Combine(testsRoot, folder), "*.cs").OrderBy(f => f, StringComparer.Ordinal))
            {
                var index = 0;
                foreach (var input in RawStrings(File.ReadAllText(file)))
                {
                    var name = $"{folder}/{Path.GetFileNameWithoutExtension(file)}#{index++}";
                    var documents = new List<(string, string)> { (Prelude.FileName, Prelude.Source) };
                    if (kernel is { } k && !input.Contains("enum Gfp", StringComparison.Ordinal) && !input.Contains("class Dma\n", StringComparison.Ordinal))
                    {
                        documents.Add(k);
                    }

                    documents.Add(("Test0.cs", input));
                    var corpus = Make(name, documents, all: false);
                    if (!corpus.Compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
                    {
                        corpora.Add(corpus);
                    }
                }
            }
        }

        return corpora;
    }

    /// <summary>The non-interpolated raw string literals of a test file that look like C# declarations, markup removed.</summary>
    private static IEnumerable<string> RawStrings(string testFile)
    {
        var markup = new Regex(@"\{\|(#\d+|[A-Z]+\d+):|\|\}", RegexOptions.CultureInvariant);
        foreach (var token in CSharpSyntaxTree.ParseText(testFile).GetRoot().DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken) && token.Parent is LiteralExpressionSyntax)
            {
                var text = markup.Replace(token.ValueText, "");
                if (Regex.IsMatch(text, @"\b(class|struct|interface|record)\b", RegexOptions.CultureInvariant))
                {
                    yield return text;
                }
            }
        }
    }

    private static FuzzCorpus Make(string name, IEnumerable<(string Path, string Text)> documents, bool all)
    {
        var trees = documents.Select(d => AnalyzerRun.Parse(d.Text, d.Path)).ToImmutableArray();
        var compilation = AnalyzerRun.Compile("Fuzz", trees);
        return new FuzzCorpus(name, compilation, all ? trees : ImmutableArray.Create(trees[^1]));
    }

    /// <summary>One mutant of <paramref name="tree"/>: its text and what was done.</summary>
    public static (string Text, string What) Mutate(SyntaxTree tree, Random random)
    {
        var source = tree.GetText().ToString();
        var root = tree.GetRoot();
        var tokens = root.DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();
        if (tokens.Count < 2)
        {
            return (source + "}", "append }");
        }

        // Annotation strings and attributes are where the contracts are: they get a larger share.
        var op = random.Next(Operators.Length + 3);
        switch (op >= Operators.Length ? (op == Operators.Length ? "move-attribute" : "corrupt-string") : Operators[op])
        {
            case "delete":
            {
                var first = random.Next(tokens.Count);
                var last = Math.Min(tokens.Count - 1, first + random.Next(3));
                return (Cut(source, tokens[first].SpanStart, tokens[last].Span.End), $"delete tokens {first}..{last} '{Clip(source, tokens[first].SpanStart, tokens[last].Span.End)}'");
            }

            case "duplicate":
            {
                var first = random.Next(tokens.Count);
                var last = Math.Min(tokens.Count - 1, first + random.Next(4));
                var text = source.Substring(tokens[first].SpanStart, tokens[last].Span.End - tokens[first].SpanStart);
                return (source.Insert(tokens[last].Span.End, " " + text), $"duplicate tokens {first}..{last} '{Clip(text)}'");
            }

            case "swap":
            {
                var i = random.Next(tokens.Count - 1);
                var (a, b) = (tokens[i], tokens[i + 1]);
                var swapped = source.Substring(0, a.SpanStart) + b.Text + source.Substring(a.Span.End, b.SpanStart - a.Span.End) + a.Text + source.Substring(b.Span.End);
                return (swapped, $"swap tokens {i} '{a.Text}' and {i + 1} '{b.Text}'");
            }

            case "truncate":
            {
                var i = random.Next(tokens.Count);
                return (source.Substring(0, tokens[i].Span.End), $"truncate after token {i} '{tokens[i].Text}'");
            }

            case "retype":
            {
                var identifiers = tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken)).ToList();
                if (identifiers.Count < 2)
                {
                    goto case "delete";
                }

                var target = identifiers[random.Next(identifiers.Count)];
                var other = identifiers[random.Next(identifiers.Count)];
                return (source.Remove(target.SpanStart, target.Span.Length).Insert(target.SpanStart, other.Text), $"retype '{target.Text}' at {target.SpanStart} as '{other.Text}'");
            }

            case "corrupt-string":
            {
                // Mostly an annotation's own argument; any string literal otherwise.
                var inAttributes = tokens.Where(t => t.IsKind(SyntaxKind.StringLiteralToken) && t.Parent?.FirstAncestorOrSelf<AttributeSyntax>() is not null).ToList();
                var strings = inAttributes.Count > 0 && random.Next(4) > 0 ? inAttributes : tokens.Where(t => t.IsKind(SyntaxKind.StringLiteralToken)).ToList();
                if (strings.Count == 0)
                {
                    goto case "move-attribute";
                }

                var literal = strings[random.Next(strings.Count)];
                var replacement = MalformedStrings[random.Next(MalformedStrings.Length)];
                return (source.Remove(literal.SpanStart, literal.Span.Length).Insert(literal.SpanStart, replacement), $"string {Clip(literal.Text)} at {literal.SpanStart} replaced by {Clip(replacement)}");
            }

            case "move-attribute":
            {
                // An attribute list copied onto another member (a wrong kind of member, or a contradiction), or removed.
                var lists = root.DescendantNodes().OfType<AttributeListSyntax>().ToList();
                var members = root.DescendantNodes().OfType<MemberDeclarationSyntax>().Where(m => m is not BaseNamespaceDeclarationSyntax).ToList();
                if (lists.Count == 0 || members.Count == 0)
                {
                    goto case "swap";
                }

                var list = lists[random.Next(lists.Count)];
                if (random.Next(4) == 0)
                {
                    return (Cut(source, list.SpanStart, list.Span.End), $"remove {Clip(list.ToString())} at {list.SpanStart}");
                }

                var member = members[random.Next(members.Count)];
                var at = member.SpanStart;
                return (source.Insert(at, list.ToString() + " "), $"copy {Clip(list.ToString())} onto the member at {at}");
            }

            default:
            {
                var lines = source.Split('\n').ToList();
                var line = random.Next(lines.Count);
                lines.RemoveAt(line);
                return (string.Join('\n', lines), $"delete line {line + 1}");
            }
        }
    }

    private static string Cut(string source, int start, int end) => source.Remove(start, end - start);

    private static string Clip(string source, int start, int end) => Clip(source.Substring(start, end - start));

    private static string Clip(string text) => (text.Length > 40 ? text.Substring(0, 40) + "…" : text).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>
    /// The editor's request for one document: the analyzer's semantic diagnostics of <paramref name="tree"/> alone
    /// (concurrent analysis, as a host runs it), and, when <paramref name="compilationEnd"/>, the compilation-end
    /// diagnostics too (full-solution analysis), with every exception the analyzer threw.
    /// </summary>
    public static async Task<DocumentResult> AnalyzeDocumentAsync(Compilation compilation, SyntaxTree tree, bool compilationEnd, CancellationToken cancellation = default)
    {
        var exceptions = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, diagnostic) =>
            {
                lock (exceptions)
                {
                    exceptions.Add(exception.ToString());
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new DriverSafetyAnalyzer()), options);
        var diagnostics = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), null, cancellation).ConfigureAwait(false);
        if (compilationEnd)
        {
            var whole = await withAnalyzers.GetAnalysisResultAsync(cancellation).ConfigureAwait(false);
            diagnostics = diagnostics.AddRange(whole.CompilationDiagnostics.SelectMany(p => p.Value));
        }

        lock (exceptions)
        {
            exceptions.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
            return new DocumentResult(diagnostics.Where(d => d.Id != "AD0001").ToImmutableArray(), exceptions.ToList());
        }
    }

    /// <summary>The outcome of a fuzzing run.</summary>
    internal sealed record Run(int Mutants, int WithCompilerErrors, int WithFindings, IReadOnlyDictionary<string, int> PerOperator, IReadOnlyList<string> Failures, TimeSpan Elapsed);

    /// <summary>
    /// <paramref name="mutants"/> mutants from <paramref name="seed"/>: each picks a corpus and one of its mutable
    /// documents, breaks it once, and analyses that document; every 8th also asks for the compilation-end diagnostics.
    /// </summary>
    public static async Task<Run> RunAsync(int seed, int mutants)
    {
        var corpora = Corpora();
        var random = new Random(seed);
        var failures = new List<string>();
        var perOperator = Operators.ToDictionary(o => o, _ => 0);
        int withErrors = 0, withFindings = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < mutants; i++)
        {
            // The example or the context corpus every fourth mutant, the sample driver every sixteenth, a rule test's input otherwise.
            var corpus = i % 4 == 0 ? corpora[random.Next(2)] : i % 16 == 1 ? corpora[SampleDriver] : corpora[SampleDriver + 1 + random.Next(corpora.Count - SampleDriver - 1)];
            var tree = corpus.Mutable[random.Next(corpus.Mutable.Length)];
            var (text, what) = Mutate(tree, random);
            perOperator[what.Split(' ')[0] switch
            {
                "delete" when what.StartsWith("delete line", StringComparison.Ordinal) => "delete-line",
                "string" => "corrupt-string",
                "copy" or "remove" => "move-attribute",
                "append" => "delete",
                var word => word,
            }]++;
            var mutated = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(text));
            var compilation = corpus.Compilation.ReplaceSyntaxTree(tree, mutated);
            DocumentResult result;
            try
            {
                result = await AnalyzeDocumentAsync(compilation, mutated, compilationEnd: i % 8 == 0 && corpus.Name != "sample-driver");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                result = new DocumentResult(ImmutableArray<Diagnostic>.Empty, new[] { "host: " + e });
            }

            if (compilation.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                withErrors++;
            }

            if (result.Diagnostics.Any(d => d.Id.StartsWith("DRV", StringComparison.Ordinal)))
            {
                withFindings++;
            }

            var misplaced = result.Diagnostics.Where(d => !d.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd) && d.Location.SourceTree != mutated).ToList();
            if (result.Exceptions.Count > 0 || misplaced.Count > 0)
            {
                failures.Add($"seed {seed} mutant {i}, {corpus.Name} {tree.FilePath}, {what}:{Environment.NewLine}  " +
                    string.Join(Environment.NewLine + "  ", result.Exceptions.Select(e => e.Length > 3000 ? e.Substring(0, 3000) : e).Concat(misplaced.Select(d => "reported outside the document: " + d))));
            }
        }

        return new Run(mutants, withErrors, withFindings, perOperator, failures, clock.Elapsed);
    }
}
