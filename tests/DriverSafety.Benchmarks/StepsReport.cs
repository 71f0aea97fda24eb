using System.Collections.Immutable;
using DriverSafety.Analyzers;
using DriverSafety.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// The deterministic counterpart of the timings (<c>--steps</c>): the flow engine's block transfers per body for
/// each scaling size, and the diagnostics each analyzer gives on the sample driver. Nothing here is timed.
/// </summary>
public static class StepsReport
{
    public static readonly int[] Sizes = { 1000, 4000, 16000 };

    public static void Run(TextWriter output)
    {
        output.WriteLine($"Engine bound: {FlowEngine.MaxVisitsPerBlock} visits per block (+1 reporting pass), {FlowEngine.MaxStepsPerBody} steps per body.");
        output.WriteLine();
        output.WriteLine("| Shape | Statements | Bodies | Blocks | Steps | Steps/block | Max steps in one body | Truncated bodies | Diagnostics |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var size in Sizes)
        {
            var oneBody = ScalingSource.Compile(ScalingSource.SingleBody(size), $"OneBody{size}");
            Write(output, "One body", size, Measure(oneBody));
        }

        foreach (var size in Sizes)
        {
            var manyMethods = ScalingSource.Compile(ScalingSource.ManyMethods(size), $"ManyMethods{size}");
            Write(output, $"{size / ScalingSource.StatementsPerMethod} methods, chains of {ScalingSource.ChainLength}", size, Measure(manyMethods));
        }

        var generated = new List<(int Lines, Counts Counts)>();
        foreach (var lines in new[] { 10_000, 50_000, 200_000 })
        {
            var corpus = DriverCorpus.Generate(lines);
            var counts = Measure(GeneratedCompilation.Create(corpus));
            Write(output, $"Generated corpus, {corpus.Files.Count} files", corpus.Lines, counts, unit: "lines");
            generated.Add((corpus.Lines, counts));
        }

        var sample = SampleDriverSource.Load();
        var errors = sample.Errors();
        var sampleCounts = Measure(sample.Compilation);
        Write(output, "Sample driver (every body)", sample.LinesOfCode, sampleCounts, statementsAreLines: true);
        var wholeAnalyzer = AnalyzerRun.Diagnostics(sample.Compilation, new DriverSafetyAnalyzer());

        output.WriteLine();
        output.WriteLine($"Sample driver: {sample.Files} files, {sample.Lines} lines, {sample.LinesOfCode} lines of code, {errors.Count} compiler errors.");
        foreach (var error in errors.Take(5))
        {
            output.WriteLine("  " + error);
        }

        output.WriteLine($"  Summaries: {sampleCounts.Summaries} methods summarised in {sampleCounts.SummaryWalks} summary walks, for {sampleCounts.Bodies} executable bodies analysed.");
        foreach (var (lines, counts) in generated)
        {
            output.WriteLine($"Generated corpus of {lines:N0} lines: {counts.Summaries} methods summarised in {counts.SummaryWalks} summary walks, for {counts.Bodies} executable bodies analysed ({(double)counts.SummaryWalks / Math.Max(1, counts.Summaries):F2} walks per summarised method).");
        }

        output.WriteLine($"  DriverSafety (whole analyzer): {AnalyzerRun.Summary(wholeAnalyzer)}");
        output.WriteLine($"  DriverSafety (bodies above):   {AnalyzerRun.Summary(sampleCounts.Diagnostics.ToImmutableArray())} (annotation rules run per symbol, not per body)");
        output.WriteLine($"  Binding+CFG only:              {AnalyzerRun.Summary(AnalyzerRun.Diagnostics(sample.Compilation, new BindingAndCfgAnalyzer()))}");
        WriteThirdParty(output, sample.Compilation, "CA2000 (NetAnalyzers)", () => ThirdPartyAnalyzers.NetAnalyzersFolder, ThirdPartyAnalyzers.Ca2000);
        WriteThirdParty(output, sample.Compilation, "IDISP001 (IDisposableAnalyzers)", () => ThirdPartyAnalyzers.IDisposableAnalyzersFolder, ThirdPartyAnalyzers.Idisp001);
    }

    private static void WriteThirdParty(TextWriter output, CSharpCompilation compilation, string label, Func<string> folder, string ruleId)
    {
        var factory = ThirdPartyAnalyzers.Factory(folder(), ruleId);
        var analyzers = factory();
        var enabled = ThirdPartyAnalyzers.EnableOnly(compilation, ruleId, analyzers);
        var names = string.Join(", ", analyzers.Select(a => a.GetType().Name));
        output.WriteLine($"  {label} [{names}]: {AnalyzerRun.Summary(AnalyzerRun.Diagnostics(enabled, analyzers))}");
    }

    private static void Write(TextWriter output, string shape, int statements, Counts counts, bool statementsAreLines = false, string? unit = null)
    {
        var size = unit is not null ? $"{statements} {unit}" : statementsAreLines ? $"{statements} LOC" : statements.ToString();
        var perBlock = counts.Blocks == 0 ? 0 : (double)counts.Steps / counts.Blocks;
        output.WriteLine(
            $"| {shape} | {size} | {counts.Bodies} | {counts.Blocks} | {counts.Steps} | {perBlock:F2} | {counts.MaxSteps} | {counts.Truncated} | {AnalyzerRun.Summary(counts.Diagnostics.ToImmutableArray())} |");
    }

    /// <summary>Writes "shape\tbody\tblocks\tsteps" for every body of the sample driver and the 1,000-statement shapes, sorted.</summary>
    public static void PerBody(string path)
    {
        var lines = new List<string>();
        void Add(string shape, Compilation compilation)
        {
            var analysis = new CompilationAnalysis(compilation, ExecutableBody.Known(compilation));
            foreach (var body in ExecutableBody.All(compilation))
            {
                var engine = analysis.Analyze(body.Cfg, body.Method, body.Declaration, _ => { }, CancellationToken.None);
                var where = body.Declaration.GetLocation().GetLineSpan();
                lines.Add($"{shape}\t{body.Method.ToDisplayString()}@{Path.GetFileName(where.Path)}:{where.StartLinePosition.Line + 1}\t{body.Blocks}\t{engine.Steps}");
            }
        }

        Add("sample", SampleDriverSource.Load().Compilation);
        Add("one-body", ScalingSource.Compile(ScalingSource.SingleBody(1000), "OneBody1000"));
        Add("many-methods", ScalingSource.Compile(ScalingSource.ManyMethods(1000), "ManyMethods1000"));
        lines.Sort(StringComparer.Ordinal);
        File.WriteAllLines(path, lines);
    }

    private sealed record Counts(int Bodies, int Blocks, long Steps, int MaxSteps, int Truncated, List<Diagnostic> Diagnostics, int Summaries = 0, int SummaryWalks = 0);

    /// <summary>Runs the engine directly over every executable body of <paramref name="compilation"/>, as the analyzer does.</summary>
    private static Counts Measure(Compilation compilation)
    {
        var analysis = new CompilationAnalysis(compilation, ExecutableBody.Known(compilation));
        var diagnostics = new List<Diagnostic>();
        int bodies = 0, blocks = 0, maxSteps = 0, truncated = 0;
        long steps = 0;
        foreach (var body in ExecutableBody.All(compilation))
        {
            var engine = analysis.Analyze(body.Cfg, body.Method, body.Declaration, diagnostics.Add, CancellationToken.None);
            bodies++;
            blocks += body.Blocks;
            steps += engine.Steps;
            maxSteps = Math.Max(maxSteps, engine.Steps);
            truncated += engine.Truncated ? 1 : 0;
        }

        var (summaries, walks) = analysis.SummaryCounts;
        return new Counts(bodies, blocks, steps, maxSteps, truncated, diagnostics, summaries, walks);
    }
}
