using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;
using Xunit;
using Xunit.Abstractions;

namespace DriverSafety.Tests.Packaging;

/// <summary>
/// The package as an editor meets it (issue 13): a consumer of the packed package is restored, then opened with
/// <c>MSBuildWorkspace</c> (the SDK's MSBuild found by Microsoft.Build.Locator, the project evaluated in the workspace's
/// out-of-process BuildHost), the analyzers are taken from the project's own analyzer references (the package's
/// <c>analyzers/dotnet/cs</c> folder in the consumer's packages folder), and one document's diagnostics are asked for as
/// the editor does for its squiggles: syntax and semantic diagnostics of that document only, never the compilation end.
/// Then a code fix from the package's code-fix assembly is applied through the workspace, as the light bulb does.
/// </summary>
/// <remarks>
/// Loading, as it happens (Roslyn 4.14 on .NET 10): the workspace gives each analyzer path an
/// <see cref="AnalyzerFileReference"/> whose loader hands back an assembly of the same name that the host's default load
/// context can load; the test process has DriverSafety.Analyzers and DriverSafety.CodeFixes there (its own project
/// references, built from the same sources), so the analyzer and the fixers that the project's references give are the
/// test's copies, from its bin folder (the test writes each assembly's path and load context to its output). An IDE process has no such copies and loads the package's.
/// So the test runs everything twice: once as the workspace loads it (the references come from the project, the
/// workspace reports no load failure, CS8032 or CS9057, and no analyzer throws, AD0001), and once with the package's own
/// DLLs from the same paths in a load context of their own (<see cref="PackageFolderLoader"/>), which must give the same
/// findings and offer the same fixes; the applied fix is the package's.
/// </remarks>
[Collection(PackagingCollection.Name)]
public sealed class EditorHostTests
{
    private readonly PackagingTests.PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public EditorHostTests(PackagingTests.PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    /// <summary>
    /// Every per-body rule of SPEC §5 appears in one document's diagnostics with its exact id and line. The three
    /// compilation-end findings (a DRV1007 lock-order cycle, DRV1008 and DRV1012) are not part of a document's
    /// diagnostics: they appear in the whole compilation's analysis (what a build or the IDE's full-solution analysis
    /// shows). DRV1007 against a declared order is reported live, at the acquisition, and so is per document.
    /// </summary>
    [Fact]
    public async Task An_editor_shows_every_per_body_rule_in_one_document_and_applies_a_packed_fix()
    {
        var pack = _package.Pack();
        string packageFile = pack.AssertPackageWritten();
        var (consumer, sourceFile, packagesPath) = PackagingTests.CreateConsumer(_package, packageFile, "editor", Source);
        var restore = PackagingTests.ChildProcess.Run(_package.Dotnet, consumer, "restore", "Consumer.csproj", "-nodeReuse:false", "-tl:off", "-v:minimal");
        Assert.True(restore.ExitCode == 0, "the consumer does not restore:\n" + restore.Describe());

        MSBuildRegistration.Ensure();
        await EditorSession.RunAsync(consumer, sourceFile, packagesPath, _output.WriteLine);
    }

    /// <summary>Registers the running SDK's MSBuild once per process, before any MSBuild type is loaded.</summary>
    private static class MSBuildRegistration
    {
        private static readonly object Gate = new();

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Ensure()
        {
            lock (Gate)
            {
                if (!MSBuildLocator.IsRegistered)
                {
                    MSBuildLocator.RegisterDefaults();
                }
            }
        }
    }

    /// <summary>Everything that touches the workspace, in its own class: nothing here is loaded before the registration.</summary>
    private static class EditorSession
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static async Task RunAsync(string consumer, string sourceFile, string packagesPath, Action<string> log)
        {
            var cancellation = CancellationToken.None;
            using var workspace = MSBuildWorkspace.Create();
            var project = await workspace.OpenProjectAsync(Path.Combine(consumer, "Consumer.csproj"), cancellationToken: cancellation);
            var failures = workspace.Diagnostics.Where(d => d.Kind == WorkspaceDiagnosticKind.Failure).Select(d => d.Message).ToList();
            Assert.True(failures.Count == 0, "the workspace failed to load the consumer:\n" + string.Join("\n", failures));
            var document = Assert.Single(project.Documents, d => string.Equals(d.FilePath, sourceFile, StringComparison.Ordinal));

            // The package's analyzer references, as the project file and the restore gave them.
            string packageFolder = Path.Combine(packagesPath, "driversafety.analyzers") + Path.DirectorySeparatorChar;
            var references = project.AnalyzerReferences
                .Where(r => r.FullPath is { } path && path.StartsWith(packageFolder, StringComparison.Ordinal))
                .ToList();
            log("analyzer references of the project:\n  " + string.Join("\n  ", project.AnalyzerReferences.Select(r => $"{r.GetType().Name}: {r.FullPath}")));
            var analyzerReference = Assert.Single(references, r => Path.GetFileName(r.FullPath) == "DriverSafety.Analyzers.dll");
            var fixReference = Assert.Single(references, r => Path.GetFileName(r.FullPath) == "DriverSafety.CodeFixes.dll");
            Assert.Equal(2, references.Count);
            Assert.All(references, r => Assert.IsAssignableFrom<AnalyzerFileReference>(r));
            Assert.Contains($"{Path.DirectorySeparatorChar}analyzers{Path.DirectorySeparatorChar}dotnet{Path.DirectorySeparatorChar}cs{Path.DirectorySeparatorChar}", analyzerReference.FullPath, StringComparison.Ordinal);

            var loadFailures = new List<string>();
            foreach (var reference in references.OfType<AnalyzerFileReference>())
            {
                reference.AnalyzerLoadFailed += (_, e) =>
                {
                    lock (loadFailures)
                    {
                        loadFailures.Add($"{Path.GetFileName(reference.FullPath)}: {e.ErrorCode} {e.TypeName} {e.Message}");
                    }
                };
            }

            // As the editor loads them: through the project's references and the workspace's loader.
            var workspaceLoad = new Load("the workspace's load of the project's references",
                analyzerReference.GetAnalyzers(LanguageNames.CSharp), CodeFixProviders(fixReference));
            Assert.Empty(fixReference.GetAnalyzers(LanguageNames.CSharp));
            lock (loadFailures)
            {
                // CS8032 (cannot create an analyzer), CS9057 (newer compiler) and the like, as the IDE would report them.
                Assert.True(loadFailures.Count == 0, "the workspace could not load the package's analyzers:\n" + string.Join("\n", loadFailures));
            }

            // The package's own assemblies from the same paths, in a load context of their own: the packed bits run.
            var isolated = new PackageFolderLoader(Path.GetDirectoryName(analyzerReference.FullPath)!);
            var packageLoad = new Load("the package's own assemblies, isolated",
                new AnalyzerFileReference(analyzerReference.FullPath!, isolated).GetAnalyzers(LanguageNames.CSharp),
                CodeFixProviders(new AnalyzerFileReference(fixReference.FullPath!, isolated)));
            Assert.All(packageLoad.Analyzers, a => Assert.Equal(analyzerReference.FullPath, a.GetType().Assembly.Location));
            Assert.All(packageLoad.Fixers, f => Assert.Equal(fixReference.FullPath, f.GetType().Assembly.Location));

            var text = (await document.GetTextAsync(cancellation)).ToString();
            var compilation = (await project.GetCompilationAsync(cancellation))!;
            Assert.DoesNotContain(compilation.GetDiagnostics(cancellation), d => d.Severity == DiagnosticSeverity.Error || d.Id is "CS9057" or "CS8032");
            foreach (var load in new[] { workspaceLoad, packageLoad })
            {
                Assert.NotEmpty(load.Analyzers);
                Assert.NotEmpty(load.Fixers);
                log($"{load.Name}:\n  analyzers from {Describe(load.Analyzers[0].GetType().Assembly)}\n  code fixes from {Describe(load.Fixers[0].GetType().Assembly)}");

                // Per document, as the editor's squiggles: syntax, then semantic diagnostics of this document only.
                var findings = await DocumentDiagnosticsAsync(project, document, load.Analyzers, cancellation);
                Assert.DoesNotContain(findings, d => d.Id is "AD0001" or "CS9057" or "CS8032");
                var perDocument = Expected(text, compilationEnd: false);
                Assert.True(perDocument.SequenceEqual(Keys(findings)),
                    $"{load.Name}: expected in the document's diagnostics\n  " + string.Join("\n  ", perDocument) + "\nbut the editor got\n  " + string.Join("\n  ", findings.Select(d => d.ToString())));
                Assert.Equal(PerBodyRules, perDocument.Select(k => k.Substring(0, 7)).Distinct().ToList());

                // The whole compilation, as a build (or the IDE's full-solution analysis): the compilation-end findings too.
                var whole = await compilation.WithAnalyzers(load.Analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync(cancellation);
                Assert.DoesNotContain(whole, d => d.Id == "AD0001");
                var all = Expected(text, compilationEnd: null);
                Assert.True(all.SequenceEqual(Keys(whole)),
                    $"{load.Name}: expected in the compilation's diagnostics\n  " + string.Join("\n  ", all) + "\nbut got\n  " + string.Join("\n  ", whole.Select(d => d.ToString())));

                load.Target = Assert.Single(findings, d => d.Id == "DRV1002");
                load.Actions = await CodeActionsAsync(document, load.Target, load.Fixers, cancellation);
                log($"  code actions offered for the DRV1002: {string.Join(", ", load.Actions.Select(a => a.Title))}");
            }

            // The light bulb: both loads offer the same fixes; the packed "Take 'M' around this call" is applied through the workspace.
            Assert.Equal(workspaceLoad.Actions.Select(a => a.Title), packageLoad.Actions.Select(a => a.Title));
            var takeLock = Assert.Single(packageLoad.Actions, a => a.Title == "Take 'M' around this call");
            var operations = await takeLock.GetOperationsAsync(cancellation);
            var apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
            Assert.True(workspace.TryApplyChanges(apply.ChangedSolution), "the workspace did not apply the fix");

            var fixedDocument = workspace.CurrentSolution.GetDocument(document.Id)!;
            var fixedText = (await fixedDocument.GetTextAsync(cancellation)).ToString();
            Assert.NotEqual(Source, Fixed);
            Assert.True(Fixed == fixedText, "the fix did not give the expected text:\n" + fixedText);
            Assert.Equal(Fixed, File.ReadAllText(sourceFile)); // MSBuildWorkspace saves the changed document, as an editor's save would

            // Re-analysis of the edited document: the DRV1002 is gone, every other finding stays (at its moved line).
            var remaining = Expected(fixedText, compilationEnd: false).Where(k => !k.StartsWith("DRV1002", StringComparison.Ordinal)).ToList();
            foreach (var load in new[] { workspaceLoad, packageLoad })
            {
                var fixedFindings = await DocumentDiagnosticsAsync(fixedDocument.Project, fixedDocument, load.Analyzers, cancellation);
                Assert.True(remaining.SequenceEqual(Keys(fixedFindings)),
                    $"{load.Name}: after the fix, expected\n  " + string.Join("\n  ", remaining) + "\nbut the editor got\n  " + string.Join("\n  ", fixedFindings.Select(d => d.ToString())));
            }
        }

        private static async Task<List<CodeAction>> CodeActionsAsync(Document document, Diagnostic diagnostic, IEnumerable<CodeFixProvider> fixers, CancellationToken cancellation)
        {
            var actions = new List<CodeAction>();
            foreach (var fixer in fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var context = new CodeFixContext(document, diagnostic, (action, _) => { lock (actions) { actions.Add(action); } }, cancellation);
                await fixer.RegisterCodeFixesAsync(context);
            }

            return actions.OrderBy(a => a.Title, StringComparer.Ordinal).ToList();
        }

        private static async Task<ImmutableArray<Diagnostic>> DocumentDiagnosticsAsync(Project project, Document document, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellation)
        {
            var compilation = (await project.GetCompilationAsync(cancellation))!;
            var tree = (await document.GetSyntaxTreeAsync(cancellation))!;
            var semanticModel = compilation.GetSemanticModel(tree);
            var withAnalyzers = compilation.WithAnalyzers(analyzers, project.AnalyzerOptions);
            var syntax = await withAnalyzers.GetAnalyzerSyntaxDiagnosticsAsync(tree, cancellation);
            var semantic = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(semanticModel, filterSpan: null, cancellation);
            return syntax.AddRange(semantic);
        }

        /// <summary>
        /// The code-fix providers of a code-fix assembly loaded through an analyzer reference
        /// (<see cref="AnalyzerFileReference.GetAssembly"/>: Workspaces 4.x has no public way to ask a reference for its
        /// fixers), found by their <c>[ExportCodeFixProvider]</c> attribute, as the IDE's MEF catalog finds them.
        /// </summary>
        private static ImmutableArray<CodeFixProvider> CodeFixProviders(AnalyzerReference reference)
        {
            var file = Assert.IsType<AnalyzerFileReference>(reference, exactMatch: false);
            return file.GetAssembly().GetTypes()
                .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t) && t.GetCustomAttributes<ExportCodeFixProviderAttribute>().Any(a => a.Languages.Contains(LanguageNames.CSharp)))
                .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
                .ToImmutableArray();
        }

        private static string Describe(Assembly assembly) =>
            $"{assembly.Location} (load context '{AssemblyLoadContext.GetLoadContext(assembly)?.Name}')";
    }

    /// <summary>One way of loading the package's analyzers and code fixes, and what it offered for the DRV1002.</summary>
    private sealed class Load
    {
        public Load(string name, ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableArray<CodeFixProvider> fixers)
        {
            Name = name;
            Analyzers = analyzers;
            Fixers = fixers;
        }

        public string Name { get; }

        public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; }

        public ImmutableArray<CodeFixProvider> Fixers { get; }

        public Diagnostic? Target { get; set; }

        public List<CodeAction> Actions { get; set; } = new();
    }

    /// <summary>
    /// Loads the DriverSafety assemblies of the package folder into a load context of their own (so the packed bits run,
    /// not the test's same-named copies); Roslyn and the framework come from the host, as in a compiler or an IDE.
    /// </summary>
    private sealed class PackageFolderLoader : IAnalyzerAssemblyLoader
    {
        private readonly FolderLoadContext _context;

        public PackageFolderLoader(string folder) => _context = new FolderLoadContext(folder);

        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => _context.LoadFromAssemblyPath(fullPath);

        private sealed class FolderLoadContext : AssemblyLoadContext
        {
            private readonly string _folder;

            public FolderLoadContext(string folder)
                : base("DriverSafety package " + folder)
            {
                _folder = folder;
            }

            protected override Assembly? Load(AssemblyName assemblyName)
            {
                string path = Path.Combine(_folder, assemblyName.Name + ".dll");
                return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
            }
        }
    }

    /// <summary>The rules a document's diagnostics must show, in id order: SPEC §5 less DRV1008 and DRV1012 (compilation end only).</summary>
    private static readonly string[] PerBodyRules =
    [
        "DRV1001", "DRV1002", "DRV1003", "DRV1004", "DRV1005", "DRV1006", "DRV1007", "DRV1009", "DRV1010", "DRV1011",
        "DRV2001", "DRV2002", "DRV2003", "DRV2004",
        "DRV3001", "DRV3002", "DRV3003", "DRV3004", "DRV3005", "DRV3006", "DRV3007", "DRV3008",
        "DRV9001", "DRV9002", "DRV9003", "DRV9004",
    ];

    private static readonly Regex Marker = new(@"//\s*(?<id>DRV\d{4})\b(?<end>.*\(compilation end\))?", RegexOptions.CultureInvariant);

    /// <summary>
    /// "DRVnnnn at line N" for each line marked "// DRVnnnn" (with "(compilation end)" for the findings of the compilation's
    /// end), plus the justification-less #pragma (DRV9004 at the directive, which cannot carry a marker comment);
    /// <paramref name="compilationEnd"/> null for all of them.
    /// </summary>
    private static List<string> Expected(string source, bool? compilationEnd)
    {
        var lines = source.Split('\n');
        var keys = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            if (Marker.Match(lines[i]) is { Success: true } marker && (compilationEnd is null || marker.Groups["end"].Success == compilationEnd))
            {
                keys.Add(Key(marker.Groups["id"].Value, i + 1));
            }

            if (lines[i].TrimEnd() == "#pragma warning disable DRV1003" && compilationEnd != true)
            {
                keys.Add(Key("DRV9004", i + 1));
            }
        }

        return keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
    }

    private static string Key(string id, int line) => $"{id} at line {line.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)}";

    private static List<string> Keys(IEnumerable<Diagnostic> diagnostics) => diagnostics
        .Where(d => d.Id.StartsWith("DRV", StringComparison.Ordinal))
        .Select(d => Key(d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1))
        .OrderBy(k => k, StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// One instance of every rule of SPEC §5 (two of DRV1007: against a declared order, live; a cycle, at compilation
    /// end; two of DRV9004: a #pragma and a [SuppressMessage]). Types are internal so that only Api.Wait is a public
    /// member that may sleep (DRV9003).
    /// </summary>
    private const string Source = """
        using System;
        using System.Diagnostics.CodeAnalysis;
        using DriverSafety;

        namespace Consumer
        {
            [LockType(LockKind.Sleeping)]
            internal sealed class Mutex
            {
                [Acquires] public void Lock() { }
                [Releases] public void Unlock() { }
            }

            [LockType(LockKind.Spinning)]
            internal sealed class SpinLock
            {
                [Acquires] public void Lock() { }
                [Releases] public void Unlock() { }
            }

            [Flags, AllocationFlags]
            internal enum Gfp : uint
            {
                None = 0,
                [MaySleepFlag] DirectReclaim = 1,
                KswapdReclaim = 2,
                [ReclaimFlag] Io = 4,
                [ReclaimFlag] Fs = 8,
                Kernel = DirectReclaim | KswapdReclaim | Io | Fs,
                NoIo = DirectReclaim | KswapdReclaim,
                Atomic = KswapdReclaim,
            }

            internal static class Slab
            {
                [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
                [MightSleep] public static void Msleep(int ms) { }
            }

            internal static class Irq
            {
                [DisablesIrqs] public static ulong LocalSave() => 0;
                [EnablesIrqs] public static void LocalRestore(ulong flags) { }
                [RequiresIrqsEnabled] public static void SyncIrq() { }
            }

            [AtomicContext(IrqsOff = true)]
            internal delegate int IrqHandler(int irq);

            internal static class Irqs
            {
                public static void RequestIrq(int irq, IrqHandler handler) { }
            }

            internal sealed class Device { }

            internal sealed class SgTable
            {
                [StateTest("dma-mapping")] public bool IsMapped { get; internal set; }
            }

            internal readonly struct DmaAddr
            {
                public DmaAddr(ulong value) => Value = value;
                public ulong Value { get; }
            }

            internal enum DmaDir { ToDevice, FromDevice }

            internal static class Dma
            {
                [Begins("dma-mapping", Target = "sgt", When = ReturnIs.NonZero)]
                public static int MapSg(Device dev, SgTable sgt, DmaDir dir) => 1;

                [Ends("dma-mapping", Target = "sgt", Match = "dev,dir")]
                public static void UnmapSg(Device dev, SgTable sgt, DmaDir dir) { }

                [Begins("dma-mapping", Target = "return", Handle = "return", CheckedBy = "MappingError")]
                public static DmaAddr MapPage(Device dev, byte[] page, int size, DmaDir dir) => default;

                public static bool MappingError(Device dev, DmaAddr addr) => false;

                [Ends("dma-mapping", Target = "addr", Match = "dev,size,dir")]
                public static void UnmapPage(Device dev, DmaAddr addr, int size, DmaDir dir) { }

                [Begins("coherent", Target = "return", When = ReturnIs.NonNull, Handle = "handle")]
                public static byte[] AllocCoherent(Device dev, int size, out DmaAddr handle) { handle = default; return new byte[size]; }

                [Ends("coherent", Target = "cpuAddr", Match = "dev,size,handle")]
                public static void FreeCoherent(Device dev, int size, byte[] cpuAddr, DmaAddr handle) { }
            }

            internal sealed class File { }

            internal sealed class Vma
            {
                [NoReassign] public File VmFile;
                public Vma(File file) => VmFile = file;
            }

            internal sealed class GemObject
            {
                public readonly Mutex Resv = new Mutex();
                public SgTable Sgt;

                [StateTest("imported")] public object ImportAttach { get; set; }

                [RequiresNotState("imported")] public int Mmap(Vma vma) => 0;

                [Requires("Resv"), Begins("vmap", While = "Resv", Counted = true, When = ReturnIs.NonNull)] public byte[] Vmap() => null;

                [Requires("Resv"), Ends("vmap")] public void Vunmap(byte[] map) { }
            }

            internal interface INotifier
            {
                [ReclaimContext] int Invalidate(long start);
            }

            /// <summary>The lock rules, one instance each.</summary>
            internal sealed class Locks
            {
                [AcquiredBefore("Locks.Inner")]
                public readonly Mutex M = new Mutex();
                public readonly Mutex Inner = new Mutex();
                [GuardedBy("M")] private int _count;

                [Requires("M")] private void Reset() => _count = 0;

                [Excludes("M")] private void Flush() { }

                public void Unguarded() => _count++; // DRV1001

                public void ResetUnlocked()
                {
                    Reset(); // DRV1002
                }

                public void Leak()
                {
                    M.Lock(); // DRV1003
                }

                public void OnSomePaths(bool quick)
                {
                    if (!quick)
                        M.Lock(); // DRV1009
                    M.Unlock(); // DRV1004
                }

                public void Twice()
                {
                    M.Lock();
                    M.Lock(); // DRV1005
                    M.Unlock();
                }

                public void FlushLocked()
                {
                    M.Lock();
                    Flush(); // DRV1006
                    M.Unlock();
                }

                public void AgainstTheDeclaredOrder()
                {
                    Inner.Lock();
                    M.Lock(); // DRV1007 declared order
                    M.Unlock();
                    Inner.Unlock();
                }

                public static void Nested(Locks a, Locks b)
                {
                    a.M.Lock();
                    b.M.Lock(); // DRV1010
                    b.M.Unlock();
                    a.M.Unlock();
                }

                [Acquires("M")]
                public void LockUnlessWedged(bool wedged)
                {
                    if (wedged)
                        return; // DRV1011
                    M.Lock();
                }

                [Requires("Lok")] // DRV9001
                public void Misspelled() { }
            }

            /// <summary>A lock-order cycle and a reclaiming allocation under a reclaim lock: both found at compilation end.</summary>
            internal static class Drm
            {
                public static readonly Mutex StructMutex = new Mutex();
                public static readonly Mutex MmapLock = new Mutex();

                private static void Evict()
                {
                    MmapLock.Lock();
                    MmapLock.Unlock();
                }

                private static void PinPages()
                {
                    StructMutex.Lock();
                    StructMutex.Unlock();
                }

                public static void Ioctl()
                {
                    StructMutex.Lock();
                    Evict(); // DRV1007 cycle (compilation end)
                    StructMutex.Unlock();
                }

                public static void Fault()
                {
                    MmapLock.Lock();
                    PinPages();
                    MmapLock.Unlock();
                }

                public static void GetPages()
                {
                    StructMutex.Lock();
                    Slab.Kmalloc(4096, Gfp.Kernel); // DRV1008 (compilation end)
                    StructMutex.Unlock();
                }
            }

            internal sealed class UserptrNotifier : INotifier
            {
                public int Invalidate(long start)
                {
                    Drm.StructMutex.Lock();
                    Drm.StructMutex.Unlock();
                    return 0;
                }
            }

            /// <summary>An IRQ-safe lock taken with IRQs enabled: found at compilation end.</summary>
            internal sealed class Uart
            {
                private readonly SpinLock _lock = new SpinLock();
                private int _pending;

                public void Probe()
                {
                    Irqs.RequestIrq(5, irq =>
                    {
                        _lock.Lock();
                        _pending++;
                        _lock.Unlock();
                        return 1;
                    });
                }

                public void Poll()
                {
                    _lock.Lock(); // DRV1012 (compilation end)
                    _pending = 0;
                    _lock.Unlock();
                }
            }

            /// <summary>The execution-context rules.</summary>
            internal sealed class Context
            {
                private readonly SpinLock _lock = new SpinLock();
                private Gfp _gfp = Gfp.Kernel;

                public void SleepUnderSpinlock()
                {
                    _lock.Lock();
                    Slab.Msleep(1); // DRV2001
                    _lock.Unlock();
                }

                public void SyncWithIrqsOff()
                {
                    var flags = Irq.LocalSave();
                    Irq.SyncIrq(); // DRV2002
                    Irq.LocalRestore(flags);
                }

                public int Poll(bool busy)
                {
                    var flags = Irq.LocalSave(); // DRV2003
                    if (busy)
                        return -16;
                    Irq.LocalRestore(flags);
                    return 0;
                }

                public void Refill()
                {
                    _lock.Lock();
                    Slab.Kmalloc(2048, _gfp); // DRV2004
                    _lock.Unlock();
                }
            }

            /// <summary>The lifetime rules.</summary>
            internal static class Lifetimes
            {
                public static int LeakOnError(Device dev, bool bad)
                {
                    var buf = Dma.AllocCoherent(dev, 4096, out var handle); // DRV3001
                    if (buf == null)
                        return -12;
                    if (bad)
                        return -22;
                    Dma.FreeCoherent(dev, 4096, buf, handle);
                    return 0;
                }

                public static int MapTwice(Device dev, GemObject obj)
                {
                    if (Dma.MapSg(dev, obj.Sgt, DmaDir.ToDevice) == 0) // DRV3002
                        return -12;
                    return 0;
                }

                public static void FreeOtherSize(Device dev)
                {
                    var buf = Dma.AllocCoherent(dev, 4096, out var handle);
                    if (buf == null)
                        return;
                    Dma.FreeCoherent(dev, 8192, buf, handle); // DRV3003
                }

                public static int UnmapFailed(Device dev)
                {
                    var sgt = new SgTable();
                    if (Dma.MapSg(dev, sgt, DmaDir.ToDevice) == 0)
                    {
                        Dma.UnmapSg(dev, sgt, DmaDir.ToDevice); // DRV3004
                        return -12;
                    }

                    Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                    return 0;
                }

                public static int MmapImported(GemObject obj, Vma vma) => obj.Mmap(vma); // DRV3005

                public static void VmapOutsideTheLock(GemObject obj)
                {
                    obj.Resv.Lock();
                    var map = obj.Vmap();
                    if (map == null)
                    {
                        obj.Resv.Unlock();
                        return;
                    }

                    obj.Resv.Unlock(); // DRV3006
                    obj.Resv.Lock();
                    obj.Vunmap(map);
                    obj.Resv.Unlock();
                }

                public static void Swap(Vma vma, File file) => vma.VmFile = file; // DRV3007

                public static void UncheckedMapping(Device dev, byte[] page)
                {
                    var addr = Dma.MapPage(dev, page, 64, DmaDir.ToDevice);
                    Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice); // DRV3008
                }
            }

            /// <summary>The annotation rules.</summary>
            internal sealed class Fence
            {
                public readonly SpinLock Lock = new SpinLock();
                public int Seqno;

                [GuardedBy("Seqno")] // DRV9002
                public int Signaled;

                private readonly Mutex _m = new Mutex();

                public void Quiet()
                {
        #pragma warning disable DRV1003
                    _m.Lock();
        #pragma warning restore DRV1003
                }

                [SuppressMessage("DriverSafety.Locking", "DRV1003:Lock not released")] // DRV9004
                public void Attribute() => _m.Lock();
            }

            /// <summary>DRV9003 (Info): a public method, visible to other assemblies, that sleeps without saying so.</summary>
            public static class Api
            {
                public static void Wait() => Slab.Msleep(1); // DRV9003
            }
        }

        """;

    /// <summary>
    /// The source after "Take 'M' around this call" on the DRV1002 (the statement's trailing comment ends up after the
    /// <c>finally</c> block, as the fix places the statement's trailing trivia).
    /// </summary>
    private static readonly string Fixed = Source.Replace(
        """
                public void ResetUnlocked()
                {
                    Reset(); // DRV1002
                }
        """,
        """
                public void ResetUnlocked()
                {
                    M.Lock();
                    try
                    {
                        Reset();
                    }
                    finally
                    {
                        M.Unlock();
                    } // DRV1002
                }
        """,
        StringComparison.Ordinal);
}
