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

    /// <summary>Execution-context and reclaim code (the seed-004 allocator, IRQ save/restore, handlers, memalloc scopes, a notifier).</summary>
    internal const string ContextDriver = """
        public interface INotifier
        {
            [ReclaimContext] int Invalidate(long start);
        }

        public sealed class Notifier : INotifier
        {
            public static readonly Mutex StructMutex = new Mutex();

            public int Invalidate(long start) { StructMutex.Lock(); StructMutex.Unlock(); return 0; }
        }

        public static class Arm
        {
            public static byte[]? DmaAllocCoherent(int size, Gfp gfp)
            {
                if ((gfp & Gfp.DirectReclaim) == 0)
                {
                    return new byte[size];
                }

                return RemapAlloc(size, gfp | Gfp.Zero);
            }

            private static byte[]? RemapAlloc(int size, Gfp gfp) => gfp.HasFlag(Gfp.Io) ? Slab.Kmalloc(size, gfp) : Slab.Kmalloc(size, Gfp.Atomic);
        }

        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            private Gfp _gfp = Gfp.Kernel;
            private int _count;

            public void Probe()
            {
                Irqs.RequestIrq(5, OnIrq);
                Irqs.RequestIrq(6, irq => { _lock.Lock(); _count++; _lock.Unlock(); return 1; });
                Timers.Setup(data => Slab.Kmalloc(8, _gfp));
                WorkQueue.Queue(() => Sched.Msleep(1));
            }

            private int OnIrq(int irq) { Arm.DmaAllocCoherent(64, Gfp.Atomic); return 0; }

            public void Run(bool irq)
            {
                ulong flags = 0;
                if (irq)
                {
                    flags = Irq.LocalSave();
                }

                _lock.Lock();
                Arm.DmaAllocCoherent(4096, Gfp.Kernel);
                Slab.Kmalloc(8, Gfp.Atomic | (_gfp & Gfp.Memalloc));
                _lock.Unlock();
                var scope = Memalloc.NofsSave();
                Notifier.StructMutex.Lock();
                Slab.Kmalloc(8, Gfp.Kernel);
                Notifier.StructMutex.Unlock();
                Memalloc.NofsRestore(scope);
                Preempt.Disable();
                Preempt.Enable();
                if (irq)
                {
                    Irq.LocalRestore(flags);
                }
            }
        }
        """;

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Broken_context_code_never_makes_the_analyzer_throw(int seed)
    {
        var sources = new[] { Context.ContextKernel.Source, ContextDriver, Verification.Prelude.Source };
        var original = AnalyzerRun.Compile("Context", sources.Select((s, i) => AnalyzerRun.Parse(s, $"File{i}.cs")));
        Assert.Empty(original.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(await AnalyzeAsync(sources));
        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var which = random.Next(2);
            var (mutated, what) = Mutate(sources[which], random);
            var round = (string[])sources.Clone();
            round[which] = mutated;
            var exceptions = await AnalyzeAsync(round);
            if (exceptions.Count > 0)
            {
                failures.Add($"file {which}, {what}: {string.Join("; ", exceptions)}");
            }
        }

        Assert.True(failures.Count == 0, "The analyzer threw on broken context code:" + Environment.NewLine + string.Join(Environment.NewLine, failures));
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
