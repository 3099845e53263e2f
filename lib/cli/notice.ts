/**
 * `secret-channel notice (--listen [HOST:]PORT | --connect HOST:PORT) --peer NAME`: the notice key
 * agreement (docs/notice.md) over TCP, then a secure pipe between stdin/stdout and the peer.
 * The work is in `lib/protocols/notice/cli.ts`; this file adapts it to the command registry.
 * @module
 */
import { NOTICE_COMMAND_OPTIONS, NOTICE_USAGE, resolveNoticeOptions, runNoticeCli, type NoticeOptionValues } from '../protocols/notice/cli.js'
import { UsageError, type Command, type OptionSpec } from './command.js'

/**
 * The `notice` command.
 * @example
 * ```ts
 * await main(['notice', '--listen', '7000', '--peer', 'alice'], io)
 * ```
 */
export const notice: Command = {
  name: 'notice',
  summary: 'agree on a key through small notices (trust on first use), then pipe stdin/stdout',
  usage: NOTICE_USAGE,
  options: NOTICE_COMMAND_OPTIONS as unknown as Record<string, OptionSpec>,
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`)
    const options = await resolveNoticeOptions(args.values as NoticeOptionValues, io.env) // ERR_USAGE for a bad line
    return runNoticeCli(options, { stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, stopped: io.stopped })
  }
}
