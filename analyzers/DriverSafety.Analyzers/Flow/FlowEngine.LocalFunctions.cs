using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverSafety.Analyzers.Flow
{
    internal sealed partial class FlowEngine
    {
        /// <summary>
        /// Calling a local function runs its body under the caller's state (its CFG is walked in place), with each of its
        /// parameters that the body never reassigns denoting the access path of the call's argument.
        /// </summary>
        private FlowState? InlineLocalFunction(CfgInfo info, IMethodSymbol function, ImmutableArray<IArgumentOperation> arguments, FlowState state, bool reporting)
        {
            _inlined.Add(function);
            if (_inlineStack.Count >= MaxInlineDepth || _inlineStack.Contains(function, SymbolEqualityComparer.Default))
            {
                return state;
            }

            ControlFlowGraph cfg;
            try
            {
                cfg = info.Cfg.GetLocalFunctionControlFlowGraphInScope(function);
            }
            catch (System.ArgumentException)
            {
                // Incomplete code: the local function is not declared in scope; the call has no known effect.
                return state;
            }

            var reassigned = ReassignedParameters(cfg);
            var aliases = new List<(IParameterSymbol Parameter, AccessPath Path)>();
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.None } parameter && !reassigned.Contains(parameter) && PathOf(info, argument.Value) is { } path)
                {
                    aliases.Add((parameter, path));
                }
            }

            var key = (function, state, reporting, string.Join("|", aliases.Select(a => a.Parameter.Ordinal + "=" + a.Path)));
            if (_inlineRuns.TryGetValue(key, out var cached))
            {
                return cached;
            }

            foreach (var (parameter, path) in aliases)
            {
                _parameterAliases[parameter] = path;
            }

            _inlineStack.Add(function);
            var result = RunCfg(cfg, state, reporting, topLevel: false);
            _inlineStack.RemoveAt(_inlineStack.Count - 1);
            foreach (var (parameter, _) in aliases)
            {
                _parameterAliases.Remove(parameter);
            }

            _inlineRuns[key] = result;
            return result;
        }

        private HashSet<IParameterSymbol> ReassignedParameters(ControlFlowGraph cfg)
        {
            var result = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
            foreach (var block in cfg.Blocks)
            {
                foreach (var operation in block.Operations)
                {
                    foreach (var node in operation.DescendantsAndSelf())
                    {
                        var target = node switch
                        {
                            IAssignmentOperation assignment => assignment.Target,
                            IIncrementOrDecrementOperation increment => increment.Target,
                            IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                            _ => null,
                        };
                        if (target is IParameterReferenceOperation parameter)
                        {
                            result.Add(parameter.Parameter);
                        }
                    }
                }
            }

            return result;
        }
    }
}
