using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis.Diagnostics;
using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;
using Fix = DriverSafety.Tests.Verification.VerifyFix<DriverSafety.Analyzers.DriverSafetyAnalyzer, DriverSafety.CodeFixes.AddRequiresCodeFix>;

namespace DriverSafety.Tests.CodeFixes;

public sealed class AddRequiresCodeFixTests
{
    [Fact]
    public Task Guarded_write_without_the_lock_gets_a_Requires_contract() => Fix.OneByOneAsync(
        """
        using DriverSafety;

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow()
            {
                Pages++;
            }
        }
        """,
        """
        using DriverSafety;

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            [Requires("Lock")]
            public void Grow()
            {
                Pages++;
            }
        }
        """,
        expectedTitle: "Add [Requires(\"Lock\")] to 'Grow'");

    [Fact]
    public Task Required_lock_of_a_parameter_is_named_by_the_parameter() => Fix.OneByOneAsync(
        """
        using DriverSafety;

        public sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [Requires("obj.Resv")]
            public static void Vmap(Gem obj) { }

            /// <summary>Maps the object.</summary>
            public static void MapIt(Gem gem)
            {
                Vmap(gem);
            }
        }
        """,
        """
        using DriverSafety;

        public sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [Requires("obj.Resv")]
            public static void Vmap(Gem obj) { }

            /// <summary>Maps the object.</summary>
            [Requires("gem.Resv")]
            public static void MapIt(Gem gem)
            {
                Vmap(gem);
            }
        }
        """);

    [Fact]
    public Task FixAll_adds_one_attribute_per_method_with_every_lock_it_needs() => Fix.FixAllAsync(
        """
        using DriverSafety;

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            public void Both()
            {
                Pages++;
                Fences = Pages;
            }

            public int Read() => Pages;
        }
        """,
        """
        using DriverSafety;

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            [Requires("Lock", "Resv")]
            public void Both()
            {
                Pages++;
                Fences = Pages;
            }

            [Requires("Lock")]
            public int Read() => Pages;
        }
        """);

    [Fact]
    public async Task No_fix_inside_a_lambda_or_for_a_lock_named_by_a_local()
    {
        var source = """
            using System;
            using DriverSafety;

            public sealed class Gem
            {
                public Mutex Lock = new Mutex();
                [GuardedBy("Lock")] public int Pages;

                public Action Later() => () => Pages++;

                public void Local()
                {
                    var other = new Gem();
                    other.Pages = 1;
                }
            }
            """;
        var document = TestProject.Create(new[] { source }, referenceAnnotations: true, includePrelude: true).Documents.Single(d => d.Name == TestProject.DocumentName(0));
        var compilation = await TestProject.CompileAsync(document.Project, allowCompilerErrors: false);
        var diagnostics = await compilation
            .WithAnalyzers(System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new DriverSafetyAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        var fixable = diagnostics.Where(d => d.Id == "DRV1001").ToArray();
        Assert.Equal(2, fixable.Length);

        var fix = new AddRequiresCodeFix();
        foreach (var diagnostic in fixable)
        {
            var offered = new List<Microsoft.CodeAnalysis.CodeActions.CodeAction>();
            await fix.RegisterCodeFixesAsync(new Microsoft.CodeAnalysis.CodeFixes.CodeFixContext(document, diagnostic, (a, _) => offered.Add(a), CancellationToken.None));
            Assert.Empty(offered);
        }
    }
}
