using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace DriverSafety.Tests.Robustness;

/// <summary>
/// Cancellation stops the walk promptly (counted in engine steps), repeated concurrent runs agree exactly, and code
/// that does not reference the annotations is not analysed at all.
/// </summary>
public sealed class CancellationAndSilenceTests
{
    /// <summary>The engine looks at the token every 256 steps: never more than that after cancellation.</summary>
    private const int CheckInterval = 256;

    [Fact]
    public void A_pre_cancelled_token_stops_the_engine_within_one_check_interval()
    {
        var (compilation, cfg, method, declaration) = LargeBody();
        var full = new CompilationAnalysis(compilation, KnownSymbols.TryCreate(compilation)!).Analyze(cfg, method, declaration, _ => { }, CancellationToken.None);
        Assert.InRange(full.Steps, 10 * CheckInterval, int.MaxValue);

        var contracts = new ContractProvider(compilation, KnownSymbols.TryCreate(compilation)!);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var engine = new FlowEngine(contracts, null, new CancelAtCall(int.MaxValue, () => { }), cancelled.Token);

        Assert.Throws<OperationCanceledException>(() => engine.AnalyzeBody(cfg, new BodyContext(method, contracts.ForMethod(method), declaration)));
        Assert.InRange(engine.Steps, 1, CheckInterval);
    }

    [Fact]
    public async Task A_pre_cancelled_token_stops_a_whole_compilation_analysis()
    {
        var (compilation, _, _, _) = LargeBody();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new DriverSafetyAnalyzer()), new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withAnalyzers.GetAnalyzerDiagnosticsAsync(cancelled.Token));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(500)]
    [InlineData(1500)]
    public void Cancelled_midway_the_engine_stops_within_one_check_interval(int afterCalls)
    {
        var (compilation, cfg, method, declaration) = LargeBody();
        var contracts = new ContractProvider(compilation, KnownSymbols.TryCreate(compilation)!);
        using var source = new CancellationTokenSource();
        FlowEngine? engine = null;
        var atCancel = -1;
        engine = new FlowEngine(contracts, null, new CancelAtCall(afterCalls, () => { atCancel = engine!.Steps; source.Cancel(); }), source.Token);

        Assert.Throws<OperationCanceledException>(() => engine.AnalyzeBody(cfg, new BodyContext(method, contracts.ForMethod(method), declaration)));

        Assert.InRange(atCancel, 1, int.MaxValue);
        Assert.InRange(engine.Steps - atCancel, 0, CheckInterval);
    }

    [Fact]
    public async Task Twenty_concurrent_runs_of_every_family_agree_exactly()
    {
        // The context corpus (locks, context, reclaim, lock order) and the lifetime API with its misuse, one compilation.
        var lifetimeUse = """
            public static class Use
            {
                public static int Map(Device dev, SgTable sgt, bool fail)
                {
                    if (Dma.MapSg(dev, sgt, DmaDir.ToDevice) == 0) return -1;
                    if (fail) return -2;
                    Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                    return 0;
                }

                public static void Twice(GemObject obj) { obj.Pin(); obj.Pin(); obj.Unpin(); }
                public static byte[]? Vmap(GemObject obj) => obj.Vmap();
            }
            """;
        var compilation = AnalyzerRun.Compile("Determinism20", new[]
        {
            AnalyzerRun.Prelude(),
            AnalyzerRun.Parse(Context.ContextKernel.Source, "ContextKernel.cs"),
            AnalyzerRun.Parse(MutationTests.ContextDriver, "ContextDriver.cs"),
            AnalyzerRun.Parse(Lifetimes.LifetimeSources.Api, "LifetimeApi.cs"),
            AnalyzerRun.Parse(lifetimeUse, "LifetimeUse.cs"),
        });
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation.Clone());
            Assert.Empty(exceptions);
            return diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start)
                .ThenBy(d => d.Location.SourceSpan.End).ThenBy(Describe, StringComparer.Ordinal).Select(Describe).ToList();
        })));

        var ids = runs[0].Select(d => d.Split(' ')[0]).Distinct().ToList();
        Assert.Contains(ids, id => id.StartsWith("DRV10", StringComparison.Ordinal));
        Assert.Contains(ids, id => id.StartsWith("DRV20", StringComparison.Ordinal));
        Assert.Contains(ids, id => id.StartsWith("DRV30", StringComparison.Ordinal));
        Assert.Contains("DRV1012", ids); // a compilation-end rule
        Assert.All(runs, run => Assert.Equal(runs[0], run));
    }

    public static IEnumerable<object[]> UnannotatedProjects() => new[]
    {
        new object[] { "analyzers/DriverSafety.Analyzers" },
        new object[] { "codefixes/DriverSafety.CodeFixes" },
        new object[] { "tests/DriverSafety.SampleDriver.Tests" },
        new object[] { "analyzers/DriverSafety.Annotations" },
    };

    [Theory]
    [MemberData(nameof(UnannotatedProjects))]
    public async Task Projects_of_this_repository_without_the_annotations_get_nothing(string folder)
    {
        var trees = Directory.GetFiles(Path.Combine(Repository.Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => AnalyzerRun.Parse(File.ReadAllText(f), f))
            .ToList();
        Assert.NotEmpty(trees);

        // Their own references as far as this process has them (Roslyn, xUnit): compiler errors do not matter here.
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0 && !a.GetName().Name!.StartsWith("DriverSafety", StringComparison.Ordinal))
            .Select(a => MetadataReference.CreateFromFile(a.Location));
        var compilation = CSharpCompilation.Create(Path.GetFileName(folder), trees, TestReferences.Framework.AddRange(loaded).Distinct(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics);
        if (!folder.EndsWith("Annotations", StringComparison.Ordinal))
        {
            // No annotation symbols: the analyzer returns at compilation start and registers nothing.
            Assert.Null(KnownSymbols.TryCreate(compilation));
        }
    }

    [Fact]
    public async Task A_large_generated_unannotated_corpus_gets_nothing_and_is_not_walked()
    {
        var source = new StringBuilder("using System.Threading;\n");
        for (var i = 0; i < 300; i++)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $$"""
                public sealed class Dev{{i}}
                {
                    private readonly object _sync = new object();
                    private int _n;
                    public void Leak() { Monitor.Enter(_sync); _n++; }
                    public void Sleep() { lock (_sync) { Thread.Sleep(1); _n--; } }
                    public int Read() => _n;
                }
                """);
        }

        var compilation = CSharpCompilation.Create("Unannotated", new[] { AnalyzerRun.Parse(source.ToString(), "Gen.cs") }, TestReferences.Framework,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);

        Assert.Empty(exceptions);
        Assert.Empty(diagnostics);
        Assert.Null(KnownSymbols.TryCreate(compilation));

        // The same corpus with the annotations referenced (none used) is analysed, and the built-in Monitor model finds
        // the leaks: the silence above is the analyzer not running at all, not a corpus without matter.
        var referenced = compilation.AddReferences(TestReferences.Annotations);
        var (walked, walkedExceptions) = await AnalyzerRun.AnalyzeAsync(referenced);
        Assert.Empty(walkedExceptions);
        Assert.Contains(walked, d => d.Id == "DRV1003");
    }

    private static string Describe(Diagnostic d) =>
        $"{d.Id} {d.Location.GetLineSpan()} {d.GetMessage(CultureInfo.InvariantCulture)} [{string.Join(", ", d.AdditionalLocations.Select(l => l.GetLineSpan().ToString()))}]";

    /// <summary>A 5,000-statement body (about 16,000 engine steps).</summary>
    private static (Compilation Compilation, ControlFlowGraph Cfg, IMethodSymbol Method, SyntaxNode Declaration) LargeBody()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 1000; i++)
        {
            body.AppendLine(CultureInfo.InvariantCulture, $"        _m.Lock(); _n += {i}; if (_n > {i}) _n = 2; _m.Unlock(); x = x * 3 + {i};");
        }

        var source = $$"""
            internal sealed class Big
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public int Long(int x)
                {
            {{body}}
                    return x;
                }
            }
            """;
        var tree = AnalyzerRun.Parse(source, "Big.cs");
        var compilation = AnalyzerRun.Compile("Cancellation", new[] { AnalyzerRun.Prelude(), tree });
        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var cfg = ControlFlowGraph.Create((IMethodBodyOperation)model.GetOperation(declaration)!);
        return (compilation, cfg, model.GetDeclaredSymbol(declaration)!, declaration);
    }

    /// <summary>Runs <c>cancel</c> at the <c>calls</c>-th call the engine reports.</summary>
    private sealed class CancelAtCall : FlowObserver
    {
        private readonly int _calls;
        private readonly Action _cancel;
        private int _seen;

        public CancelAtCall(int calls, Action cancel) => (_calls, _cancel) = (calls, cancel);

        public override void OnCall(CallEvent e)
        {
            if (++_seen == _calls)
            {
                _cancel();
            }
        }
    }
}
