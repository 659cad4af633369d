#!/usr/bin/env python3
"""What moto holds, asked through boto3 (the emulator's own API), for
tests/e2e/aws-moto.bats. Talks to $AWS_ENDPOINT_URL with the test keys.

  aws_state.py alias FUNCTION            -> version the alias `live` points at
  aws_state.py code-sha FUNCTION VERSION -> CodeSha256 of that version
  aws_state.py live-sha FUNCTION...      -> CodeSha256 of the version each
                                            alias `live` points at, one per line
  aws_state.py versions FUNCTION         -> published versions, one per line
  aws_state.py description FUNCTION VERSION
  aws_state.py functions PREFIX          -> function names, one per line
  aws_state.py url FUNCTION              -> Function URL of alias live
  aws_state.py role NAME                 -> role ARN, or "absent"
  aws_state.py object BUCKET KEY         -> "present" or "absent"
  aws_state.py make-user [ACTION]        -> "KEY SECRET" of a new IAM user
                                            allowed ACTION (default: "*",
                                            everything), for moto's
                                            signature checks
  aws_state.py make-role NAME PRINCIPAL ACTION
                                         -> a role that PRINCIPAL (an ARN)
                                            may assume, allowed ACTION
  aws_state.py assumed                   -> "ROLE_ARN SESSION_NAME" of each
                                            session STS handed out
  aws_state.py assumed-secrets           -> "SECRET TOKEN" of each session
                                            (moto's /moto-api/data.json)
"""
import json
import os
import sys
import urllib.request

import boto3
import botocore


def client(name):
    return boto3.client(name, region_name=os.environ.get("AWS_REGION", "eu-west-1"))


def allow(action):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})


def assumed_roles():
    url = os.environ["AWS_ENDPOINT_URL"] + "/moto-api/data.json"
    with urllib.request.urlopen(url) as answer:
        return json.load(answer).get("sts", {}).get("AssumedRole", [])


def main(argv):
    cmd, args = argv[1], argv[2:]
    lam = client("lambda")
    if cmd == "alias":
        print(lam.get_alias(FunctionName=args[0], Name="live")["FunctionVersion"])
    elif cmd == "code-sha":
        print(lam.get_function(FunctionName=args[0], Qualifier=args[1])
              ["Configuration"]["CodeSha256"])
    elif cmd == "live-sha":
        for fn in args:
            v = lam.get_alias(FunctionName=fn, Name="live")["FunctionVersion"]
            print(lam.get_function(FunctionName=fn, Qualifier=v)
                  ["Configuration"]["CodeSha256"])
    elif cmd == "description":
        print(lam.get_function(FunctionName=args[0], Qualifier=args[1])
              ["Configuration"]["Description"])
    elif cmd == "versions":
        for v in lam.list_versions_by_function(FunctionName=args[0])["Versions"]:
            if v["Version"] != "$LATEST":
                print(v["Version"])
    elif cmd == "functions":
        for f in lam.list_functions()["Functions"]:
            if f["FunctionName"].startswith(args[0]):
                print(f["FunctionName"])
    elif cmd == "url":
        print(lam.get_function_url_config(FunctionName=args[0],
                                          Qualifier="live")["FunctionUrl"])
    elif cmd == "role":
        try:
            print(client("iam").get_role(RoleName=args[0])["Role"]["Arn"])
        except botocore.exceptions.ClientError:
            print("absent")
    elif cmd == "object":
        try:
            client("s3").head_object(Bucket=args[0], Key=args[1])
            print("present")
        except botocore.exceptions.ClientError:
            print("absent")
    elif cmd == "make-user":
        iam = client("iam")
        iam.create_user(UserName="ferry-e2e")
        iam.put_user_policy(UserName="ferry-e2e", PolicyName="all",
                            PolicyDocument=allow(args[0] if args else "*"))
        key = iam.create_access_key(UserName="ferry-e2e")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
    elif cmd == "make-role":
        iam = client("iam")
        iam.create_role(RoleName=args[0], AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": args[1]}}]}))
        iam.put_role_policy(RoleName=args[0], PolicyName="all",
                            PolicyDocument=allow(args[2]))
    elif cmd == "assumed":
        for r in assumed_roles():
            print(r["role_arn"], r["session_name"])
    elif cmd == "assumed-secrets":
        for r in assumed_roles():
            print(r["secret_access_key"], r["session_token"])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
