#!/usr/bin/env python3
"""Deterministic winlogbeat-shaped Security events for scripts/bench.sh (the shape of
benches/correlate.rs, with a rendered message so an event is about 3 KB, as real winlogbeat
documents are).

    bench-gen.py ndjson EVENTS OUT      NDJSON, one event per line
    bench-gen.py search EVENTS OUT      one single-line Elasticsearch _search response
"""

import json
import sys

MESSAGE = (
    "An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n\t"
    "Account Name:\t\t{host}$\n\tAccount Domain:\t\tCORP\n\tLogon ID:\t\t0x3E7\n\n"
    "Logon Information:\n\tLogon Type:\t\t3\n\tRestricted Admin Mode:\t-\n\t"
    "Virtual Account:\t\tNo\n\tElevated Token:\t\tYes\n\nImpersonation Level:\t\tImpersonation\n\n"
    "New Logon:\n\tSecurity ID:\t\tS-1-5-21-1-2-3-1104\n\tAccount Name:\t\t{user}\n\t"
    "Account Domain:\t\tCORP\n\tLogon ID:\t\t0x{i:X}\n\tLinked Logon ID:\t\t0x0\n\t"
    "Network Account Name:\t-\n\tNetwork Account Domain:\t-\n\tLogon GUID:\t\t"
    "{{00000000-0000-0000-0000-000000000000}}\n\nProcess Information:\n\tProcess ID:\t\t0x0\n\t"
    "Process Name:\t\t-\n\nNetwork Information:\n\tWorkstation Name:\t-\n\t"
    "Source Network Address:\t10.0.{a}.{b}\n\tSource Port:\t\t{port}\n\n"
    "Detailed Authentication Information:\n\tLogon Process:\t\tKerberos\n\t"
    "Authentication Package:\tKerberos\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n\t"
    "Key Length:\t\t0\n\nThis event is generated when a logon session is created. It is generated "
    "on the computer that was accessed.\n\nThe subject fields indicate the account on the local "
    "system which requested the logon. This is most commonly a service such as the Server service, "
    "or a local process such as Winlogon.exe or Services.exe.\n\nThe logon type field indicates the "
    "kind of logon that occurred. The most common types are 2 (interactive) and 3 (network).\n\n"
    "The New Logon fields indicate the account for whom the new logon was created, i.e. the account "
    "that was logged on.\n\nThe network fields indicate where a remote logon request originated. "
    "Workstation name is not always available and may be left blank in some cases.\n\nThe "
    "impersonation level field indicates the extent to which a process in the logon session can "
    "impersonate.\n\nThe authentication information fields provide detailed information about this "
    "specific logon request.\n\t- Logon GUID is a unique identifier that can be used to correlate "
    "this event with a KDC event.\n\t- Transited services indicate which intermediate services have "
    "participated in this logon request.\n\t- Package name indicates which sub-protocol was used "
    "among the NTLM protocols.\n\t- Key length indicates the length of the generated session key. "
    "This will be 0 if no session key was requested."
)


def events(count):
    state = 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    start_ms = 1_714_550_400_000
    for i in range(count):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        ts = start_ms + i * 37 + state % 30
        secs = ts // 1000
        stamp = "2024-05-01T%02d:%02d:%02d.%03dZ" % ((secs // 3600) % 24, (secs // 60) % 60, secs % 60, ts % 1000)
        host = "WS%03d.corp.example" % ((state >> 8) % 20)
        roll = state % 1000
        if roll < 2:
            code, action, category = 4698, "scheduled-task-created", ["iam", "configuration"]
        elif roll < 4:
            code, action, category = 4699, "scheduled-task-deleted", ["iam", "configuration"]
        elif roll < 10:
            code, action, category = 4702, "scheduled-task-updated", ["iam", "configuration"]
        elif roll < 60:
            code, action, category = 4672, "logged-in-special", ["iam"]
        elif roll < 70:
            code, action, category = 4625, "logon-failed", ["authentication"]
        else:
            code, action, category = 4624, "logged-in", ["authentication"]
        user = host if (state >> 32) % 7 == 0 else "user%d" % ((state >> 40) % 97)
        if user == host:
            user = host + "$"
        yield {
            "@timestamp": stamp,
            "agent": {"type": "winlogbeat", "version": "8.14.0", "name": host.split(".")[0]},
            "ecs": {"version": "8.0.0"},
            "event": {
                "action": action, "category": category, "code": str(code), "kind": "event",
                "module": "security", "outcome": "success", "created": stamp,
                "provider": "Microsoft-Windows-Security-Auditing", "type": ["start"],
            },
            "host": {"name": host, "hostname": host.split(".")[0], "os": {"type": "windows", "family": "windows", "version": "10.0", "build": "17763.5830"}},
            "log": {"level": "information"},
            "message": MESSAGE.format(host=host.split(".")[0], user=user, i=i, a=i % 250, b=(i // 250) % 250, port=49152 + i % 16000),
            "user": {"domain": "CORP", "id": "S-1-5-21-1-2-3-1104", "name": user},
            "winlog": {
                "channel": "Security", "computer_name": host,
                "event_data": {
                    "SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7", "SubjectUserName": user,
                    "SubjectUserSid": "S-1-5-21-1-2-3-1104", "TaskName": "\\Task%d" % ((state >> 20) % 2),
                    "LogonType": "3",
                },
                "event_id": str(code), "keywords": ["Audit Success"], "opcode": "Info",
                "process": {"pid": 780, "thread": {"id": 5000}},
                "provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
                "provider_name": "Microsoft-Windows-Security-Auditing", "record_id": str(i), "task": "Logon",
            },
        }


def main():
    kind, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8") as out:
        if kind == "ndjson":
            for event in events(count):
                out.write(dumps(event))
                out.write("\n")
        elif kind == "search":
            out.write('{"took":12,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},'
                      '"hits":{"total":{"value":%d,"relation":"eq"},"max_score":1.0,"hits":[' % count)
            for i, event in enumerate(events(count)):
                if i:
                    out.write(",")
                out.write('{"_index":".ds-logs-system.security-default-2024.05.01-000001","_id":"%d","_score":1.0,"_source":' % i)
                out.write(dumps(event))
                out.write("}")
            out.write("]}}")
        else:
            sys.exit("usage: bench-gen.py ndjson|search EVENTS OUT")


if __name__ == "__main__":
    main()
