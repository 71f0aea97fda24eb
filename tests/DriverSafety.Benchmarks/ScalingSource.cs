using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverSafety.Benchmarks;

/// <summary>
/// Generated, diagnostic-free code of a chosen size, in two shapes: every statement in one method body, or the same
/// number of statements spread over small methods that call each other in chains.
/// </summary>
public static class ScalingSource
{
    /// <summary>Top-level statements per method in the many-methods shape.</summary>
    public const int StatementsPerMethod = 10;

    /// <summary>Methods per call chain in the many-methods shape: M0 calls M1 ... calls M9, which calls a leaf.</summary>
    public const int ChainLength = 10;

    /// <summary>The name of the one method of the single-body shape.</summary>
    public const string SingleBodyMethod = "Body";

    private const string Prelude = """
        using DriverSafety;

        namespace Scaling;

        [LockType(LockKind.Sleeping)]
        public sealed class Mutex
        {
            [Acquires] public void Lock() { }
            [Releases] public void Unlock() { }
        }

        [LockType(LockKind.Spinning)]
        public sealed class SpinLock
        {
            [Acquires] public void Lock() { }
            [Releases] public void Unlock() { }
        }

        """;

    /// <summary>
    /// One method of <paramref name="statements"/> top-level statements (rounded down to a multiple of three): lock,
    /// guarded access, unlock triples, where the access is in turn a plain write, a branch, a write under a spin lock,
    /// or a loop with a conditional break.
    /// </summary>
    public static string SingleBody(int statements)
    {
        var source = new StringBuilder(Prelude);
        source.AppendLine("public sealed class Device");
        source.AppendLine("{");
        AppendMembers(source);
        source.AppendLine($"    public void {SingleBodyMethod}()");
        source.AppendLine("    {");
        for (var i = 0; i < statements / 3; i++)
        {
            source.AppendLine((i % 4) switch
            {
                0 => $"        Lock.Lock(); Count = {i}; Lock.Unlock();",
                1 => $"        Lock.Lock(); if (Count > {i}) {{ Count = {i}; }} Lock.Unlock();",
                2 => $"        Irq.Lock(); Pending += {i}; Irq.Unlock();",
                _ => $"        Lock.Lock(); while (Count < {i}) {{ Count++; if (Count == 7) break; }} Lock.Unlock();",
            });
        }

        source.AppendLine("    }");
        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>
    /// <paramref name="statements"/> / <see cref="StatementsPerMethod"/> methods of ten top-level statements each, in
    /// call chains of <see cref="ChainLength"/>: each method takes and drops both locks and calls the next method of
    /// its chain with no lock held, so every call needs the callee's interprocedural summary.
    /// </summary>
    public static string ManyMethods(int statements)
    {
        var methods = statements / StatementsPerMethod;
        var source = new StringBuilder(Prelude);
        source.AppendLine("public sealed class Device");
        source.AppendLine("{");
        AppendMembers(source);
        source.AppendLine("    public void Leaf() { Lock.Lock(); Count = 0; Lock.Unlock(); }");
        for (var k = 0; k < methods; k++)
        {
            var next = k % ChainLength == ChainLength - 1 || k + 1 == methods ? "Leaf" : $"M{k + 1}";
            source.AppendLine($$"""
                    public void M{{k}}()
                    {
                        Lock.Lock();
                        Count = {{k}};
                        if (Count > {{k % 97}}) { Count--; }
                        Lock.Unlock();
                        {{next}}();
                        Irq.Lock();
                        Pending += {{k}};
                        Irq.Unlock();
                        var budget = {{k % 7}};
                        while (budget > 0) { budget--; }
                    }
                """);
        }

        source.AppendLine("}");
        return source.ToString();
    }

    /// <summary>Parses and binds <paramref name="source"/>; throws if the generator produced code that does not compile.</summary>
    public static CSharpCompilation Compile(string source, string name)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: name + ".cs");
        var compilation = CSharpCompilation.Create(
            name,
            new[] { tree },
            DriverSafety.Tests.Verification.TestReferences.Framework.Add(DriverSafety.Tests.Verification.TestReferences.Annotations),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"Generated source '{name}' does not compile: {errors[0]} ({errors.Count} errors).");
        }

        return compilation;
    }

    private static void AppendMembers(StringBuilder source)
    {
        source.AppendLine("    public readonly Mutex Lock = new Mutex();");
        source.AppendLine("    public readonly SpinLock Irq = new SpinLock();");
        source.AppendLine("    [GuardedBy(\"Lock\")] public int Count;");
        source.AppendLine("    [GuardedBy(\"Irq\")] public int Pending;");
    }
}
