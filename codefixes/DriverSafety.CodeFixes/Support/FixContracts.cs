using System.Threading;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;

namespace DriverSafety.CodeFixes.Support
{
    /// <summary>The analyzer's view of a document's contracts, for a code fix to reason with.</summary>
    internal static class FixContracts
    {
        /// <summary>
        /// The known attribute symbols of <paramref name="compilation"/>, with the external annotations files among the
        /// project's additional files read as the analyzer reads them, so a fix sees the contracts its finding came from.
        /// </summary>
        public static KnownSymbols? Known(Document document, Compilation compilation, CancellationToken cancellation) =>
            KnownSymbols.TryCreate(compilation, document.Project.AnalyzerOptions.AdditionalFiles, cancellation);
    }
}
